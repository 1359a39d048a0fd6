// Tasks page: "Run a task now" (POST /tasks/run over whole days of the campaign's timezone); the
// schedule forms (add, edit, delete) are ui.js's generic ones.
"use strict";

(() => {
  const form = document.getElementById("run-task");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const tz = form.dataset.timezone || "UTC";

  const midnight = (date) => window.bemserverTime.midnight(tz, date);

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
