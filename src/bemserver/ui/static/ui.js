// Every page: the campaign picker, the notification bell (live over the notifications stream),
// the add / edit / delete forms (JSON to /ui/api/...). No inline script anywhere: this file is the
// page's own code.
"use strict";

const UI_HEADERS = { "X-BEMServer-UI": "1" };

// etag: the ETag of the item as the user saw it (If-Match: a change made meanwhile by someone else
// is refused with 412, not overwritten). Without it, a PUT or DELETE reads the current one first.
async function apiSend(method, path, body, etag) {
  const headers = { ...UI_HEADERS };
  if (etag) headers["If-Match"] = etag;
  else if (method === "PUT" || method === "DELETE") {
    const current = await fetch("/ui/api" + path, { credentials: "same-origin" });
    if (current.ok && current.headers.get("ETag")) headers["If-Match"] = current.headers.get("ETag");
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch("/ui/api" + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
  });
  let document = null;
  try { document = await answer.json(); } catch (_) { /* no body */ }
  return { ok: answer.ok, status: answer.status, document, etag: answer.headers.get("ETag") };
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

function typed(field) { // a field's value as the API wants it (int, JSON, boolean, text)
  if (field.type === "checkbox") return field.checked;
  if (field.dataset.type === "int") return Number(field.value);
  if (field.dataset.type === "json") return JSON.parse(field.value || "{}");
  return field.value;
}

function formValues(form) { // for a POST: empty fields are left out (the API's defaults apply)
  const values = {};
  for (const field of form.elements) {
    if (!field.name || (field.value === "" && field.type !== "checkbox")) continue;
    values[field.name] = typed(field);
  }
  return values;
}

// An edit form (data-api-put="/path/<id>") inside a <details>: opening it reads the item (its
// current values and its ETag); saving sends PUT with If-Match. Fields with data-flag go through
// their own route (PUT <path>/<flag> {"value": ...}). With data-put-needs="password" the PUT is sent
// only when that field is filled (the API sets the user's name and e-mail with a password).
function setUpEditForm(form) {
  const details = form.closest("details");
  const result = form.querySelector(".form-result");
  let item = null;
  async function load() {
    result.textContent = "";
    const answer = await fetch("/ui/api" + form.dataset.apiPut, { credentials: "same-origin" });
    if (!answer.ok) { result.textContent = `Could not read it (${answer.status}).`; return; }
    item = await answer.json();
    form.dataset.etag = answer.headers.get("ETag") || "";
    for (const field of form.elements) {
      if (!field.name || field.dataset.keepEmpty) continue;
      const value = item[field.name];
      if (field.type === "checkbox") field.checked = Boolean(value);
      else if (field.dataset.type === "json") field.value = JSON.stringify(value ?? {});
      else field.value = value ?? "";
    }
    form.dataset.loaded = "1";
  }
  details.addEventListener("toggle", () => { if (details.open) load(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!item) return;
    const body = {};
    const flags = [];
    let changed = false;
    try {
      for (const field of form.elements) {
        if (!field.name) continue;
        if (field.dataset.flag) {
          if (field.checked !== Boolean(item[field.name])) flags.push([field.dataset.flag, field.checked]);
          continue;
        }
        const empty = field.value === "" && field.type !== "checkbox";
        if (empty && field.dataset.keepEmpty) continue;
        const value = empty ? null : typed(field);
        if (JSON.stringify(value) !== JSON.stringify(item[field.name] ?? null)) changed = true;
        if (!empty) body[field.name] = value; // an empty field is left out (the API refuses null)
      }
    } catch (error) { result.textContent = `Not valid JSON: ${error.message}`; return; }
    const needs = form.dataset.putNeeds;
    const put = !needs || needs in body;
    if (needs && !put && changed) { result.textContent = `Give a ${needs} to change these fields.`; return; }
    let etag = form.dataset.etag;
    if (put) {
      const answer = await apiSend("PUT", form.dataset.apiPut, body, etag);
      if (!answer.ok) { result.textContent = describeError(answer); return; }
      etag = answer.etag || etag;
    }
    for (const [flag, value] of flags) {
      const answer = await apiSend("PUT", `${form.dataset.apiPut}/${flag}`, { value }, etag);
      if (!answer.ok) { result.textContent = describeError(answer); return; }
      etag = answer.etag || etag;
    }
    window.location.reload();
  });
}

function setUpApiForms() {
  for (const form of document.querySelectorAll("form[data-api-post]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = form.querySelector(".form-result");
      let values;
      try { values = formValues(form); } catch (error) { result.textContent = `Not valid JSON: ${error.message}`; return; }
      const answer = await apiSend("POST", form.dataset.apiPost, values);
      if (answer.ok) { window.location.reload(); return; }
      result.textContent = describeError(answer);
    });
  }
  for (const form of document.querySelectorAll("form[data-api-put]")) setUpEditForm(form);
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
