// Every page: the campaign picker, the notification bell (live over the notifications stream),
// the admin forms (JSON to /ui/api/...). No inline script anywhere: this file is the page's own code.
"use strict";

const UI_HEADERS = { "X-BEMServer-UI": "1" };

async function apiSend(method, path, body) {
  const headers = { ...UI_HEADERS };
  if (method === "PUT" || method === "DELETE") { // the API wants the item's ETag in If-Match
    const current = await fetch("/ui/api" + path, { credentials: "same-origin" });
    if (current.ok && current.headers.get("ETag")) headers["If-Match"] = current.headers.get("ETag");
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch("/ui/api" + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
  });
  let document = null;
  try { document = await answer.json(); } catch (_) { /* no body */ }
  return { ok: answer.ok, status: answer.status, document };
}
window.bemserverApi = { send: apiSend };

function setUpPicker() {
  const picker = document.getElementById("campaign-picker");
  if (!picker) return;
  picker.addEventListener("change", () => {
    if (picker.value) window.location.assign(`/ui/campaigns/${picker.value}/${picker.dataset.section || "explorer"}`);
  });
}

function setUpBell() {
  const bell = document.getElementById("bell");
  const panel = document.getElementById("bell-panel");
  const count = document.getElementById("bell-count");
  if (!bell) return;
  let unread = 0;
  const show = () => { count.textContent = unread ? String(unread) : ""; };
  bell.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    bell.setAttribute("aria-expanded", String(open));
    if (open) { unread = 0; show(); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) { panel.hidden = true; bell.setAttribute("aria-expanded", "false"); bell.focus(); }
  });
  if (!window.EventSource) return;
  const stream = new EventSource("/ui/api/notifications/stream");
  stream.addEventListener("notification", () => { unread += 1; show(); bell.classList.add("ring"); });
  stream.onerror = () => { /* EventSource reconnects by itself, resuming at the last id */ };
  window.addEventListener("pagehide", () => stream.close());
}

function formValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.name || field.value === "") continue;
    values[field.name] = field.dataset.type === "int" ? Number(field.value) : field.value;
  }
  return values;
}

function setUpApiForms() {
  for (const form of document.querySelectorAll("form[data-api-post]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = form.querySelector(".form-result");
      const answer = await apiSend("POST", form.dataset.apiPost, formValues(form));
      if (answer.ok) { window.location.reload(); return; }
      result.textContent = describeError(answer);
    });
  }
  for (const button of document.querySelectorAll("button[data-api-delete]")) {
    button.addEventListener("click", async () => {
      if (!window.confirm("Delete this item?")) return;
      const answer = await apiSend("DELETE", button.dataset.apiDelete);
      if (answer.ok) window.location.reload();
      else window.alert(describeError(answer));
    });
  }
}

function describeError(answer) {
  const doc = answer.document || {};
  const detail = doc.errors ? " " + JSON.stringify(doc.errors) : "";
  return `Refused (${answer.status}): ${doc.message || ""}${detail}`;
}
window.bemserverDescribeError = describeError;

document.addEventListener("DOMContentLoaded", () => {
  setUpPicker();
  setUpBell();
  setUpApiForms();
});
