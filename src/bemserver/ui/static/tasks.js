// Tasks page: "Run a task now" (POST /tasks/run over whole days of the campaign's timezone); the
// schedule forms (add, edit, delete) are ui.js's generic ones.
"use strict";

(() => {
  const form = document.getElementById("run-task");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const tz = form.dataset.timezone || "UTC";

  function offsetAt(ms) {
    const f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  function midnight(date) { // "2024-01-31" at 00:00 in the campaign's timezone, as an ISO instant
    const [y, m, d] = date.split("-").map(Number);
    const guess = Date.UTC(y, m - 1, d);
    return new Date(guess - offsetAt(guess - offsetAt(guess))).toISOString();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = $("run-result");
    const body = {
      task_name: $("run-task-name").value, campaign_id: Number(form.dataset.campaign),
      start_time: midnight($("run-start").value), end_time: midnight($("run-end").value),
    };
    try {
      if ($("run-parameters").value.trim()) body.parameters = JSON.parse($("run-parameters").value);
    } catch (error) { result.textContent = `Not valid JSON: ${error.message}`; return; }
    result.textContent = "Queuing…";
    const answer = await window.bemserverApi.send("POST", "/tasks/run", body);
    if (answer.ok) { window.location.reload(); return; }
    result.textContent = window.bemserverDescribeError(answer);
  });
})();
