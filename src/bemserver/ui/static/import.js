// Import: a CSV dropped (or chosen) is recognised from its header, sent with upload progress to
// POST /timeseries_data/campaign/<id>/ (data) or /io/timeseries, /io/sites (descriptions), and
// the API's answer shown: what was accepted, or what was refused with its line and column.
"use strict";

(() => {
  const root = document.getElementById("import");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const campaign = root.dataset.campaign;
  const drop = $("drop");
  const ELEMENTS = ["sites", "buildings", "storeys", "spaces", "zones"];

  drop.addEventListener("click", () => $("import-file").click());
  drop.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("import-file").click(); }
  });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) send(event.dataTransfer.files[0]);
  });
  $("import-file").addEventListener("change", () => { if ($("import-file").files.length) send($("import-file").files[0]); });

  function dialect(text) { // the separator of the header line: the most frequent candidate
    const header = text.split(/\r?\n/, 1)[0];
    const counts = [",", ";", "\t"].map((sep) => [sep, header.split(sep).length - 1]);
    counts.sort((a, b) => b[1] - a[1]);
    return { separator: counts[0][1] ? counts[0][0] : ",", header: header.replace(/^\uFEFF/, "") };
  }

  function detect(name, header, separator) {
    const choice = $("import-kind").value;
    if (choice !== "auto") return choice;
    const columns = header.split(separator).map((c) => c.trim().replace(/^"|"$/g, "").toLowerCase());
    if (columns[0] === "datetime") return "data";
    if (columns.includes("campaign scope")) return "timeseries";
    if (columns.includes("storey")) return "spaces";
    if (columns.includes("building")) return "storeys";
    if (columns.includes("site")) return "buildings";
    return name.toLowerCase().includes("zone") ? "zones" : "sites";
  }

  function report(kind, lines) { $("import-report").replaceChildren(...lines.map((text) => {
    const p = document.createElement("p");
    p.textContent = text;
    p.className = kind;
    return p;
  })); }

  async function send(file) {
    const text = await file.text();
    const { separator, header } = dialect(text);
    const kind = detect(file.name, header, separator);
    const rows = text.split(/\r?\n/).filter((line) => line.trim()).length - 1;
    const shownSep = separator === "\t" ? "tab" : `"${separator}"`;
    let url, body, contentType;
    if (kind === "data") {
      const csv = separator === "," ? text : text.split(/\r?\n/).map((line) => line.split(separator).join(",")).join("\n");
      url = `/ui/api/timeseries_data/campaign/${campaign}/?data_state=${encodeURIComponent($("import-state").value)}`;
      body = csv;
      contentType = "text/csv";
    } else {
      const form = new FormData();
      const field = kind === "timeseries" ? "timeseries_csv" : `${kind}_csv`;
      form.append(field, new File([text], file.name, { type: "text/csv" }));
      url = kind === "timeseries" ? `/ui/api/io/timeseries?campaign_id=${campaign}` : `/ui/api/io/sites?campaign_id=${campaign}`;
      body = form;
    }
    const progress = $("import-progress");
    progress.hidden = false;
    progress.value = 0;
    report("muted", [`Sending ${file.name}: ${kind === "data" ? "timeseries data" : kind + " descriptions"}, ${rows} lines, separator ${shownSep}…`]);
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-BEMServer-UI", "1");
    if (contentType) request.setRequestHeader("Content-Type", contentType);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => {
      progress.value = 100;
      let doc = null;
      try { doc = JSON.parse(request.responseText); } catch (_) { /* empty */ }
      if (request.status >= 200 && request.status < 300) {
        report("ok", [`Imported ${file.name}: ${rows} lines accepted (${kind}). Values already stored at the same timestamps are kept.`]);
        root.dataset.result = "ok";
      } else {
        const lines = [`Refused (${request.status}): ${(doc && doc.message) || request.statusText}`];
        for (const [where, problems] of Object.entries((doc && doc.errors) || {})) {
          lines.push(`${where}: ${typeof problems === "string" ? problems : JSON.stringify(problems)}`);
        }
        report("error", lines);
        root.dataset.result = "refused";
      }
    });
    request.addEventListener("error", () => { report("error", ["The upload failed (network)."]); root.dataset.result = "error"; });
    request.send(body);
  }
})();
