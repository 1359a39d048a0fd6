// Completeness heatmap: per timeseries and per day (campaign timezone), the points against the
// points expected, from GET /analysis/completeness?bucket_width_unit=day (the expected count comes
// from the series' Interval property, else from its densest day). Drawn on a canvas; the table says
// it in text.
"use strict";

(() => {
  const form = document.getElementById("completeness");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const campaign = form.dataset.campaign;
  const tz = form.dataset.timezone || "UTC";
  const canvas = $("cp-heatmap");
  const LABEL = 180;
  let shown = null;

  const midnight = (date) => window.bemserverTime.midnight(tz, date);
  async function getJSON(path, params) {
    const answer = await fetch(`/ui/api${path}?${params}`, { credentials: "same-origin" });
    if (!answer.ok) {
      let message = `HTTP ${answer.status}`;
      try { message = (await answer.json()).message || message; } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return answer.json();
  }
  function color(ratio) {
    if (ratio <= 0) return "#ffffff";
    const light = Math.round(92 - 62 * Math.min(ratio, 1)); // 92% (little) to 30% (complete)
    return `hsl(212, 70%, ${light}%)`;
  }

  let latest = 0; // only the newest request draws: an older one that answers later is dropped

  async function show() {
    const mine = ++latest;
    const stale = () => mine !== latest;
    const status = $("cp-status");
    status.textContent = "Loading…";
    form.dataset.done = "";
    try {
      const listed = new URLSearchParams({ campaign_id: campaign, page_size: "50" });
      if ($("cp-name").value.trim()) listed.set("in_name", $("cp-name").value.trim());
      const series = await getJSON("/timeseries/", listed);
      if (stale()) return;
      if (!series.length) { status.textContent = "No timeseries."; draw([]); return; }
      const params = new URLSearchParams({
        start_time: midnight($("cp-start").value), end_time: midnight($("cp-end").value),
        data_state: $("cp-state").value, timezone: tz, bucket_width_value: "1", bucket_width_unit: "day",
      });
      series.forEach((item) => params.append("timeseries", item.id));
      const report = await getJSON("/analysis/completeness", params);
      if (stale()) return;
      const days = report.timestamps;
      const rows = series.map((item) => {
        const found = report.timeseries[String(item.id)] || { count: [], ratio: [], interval: null };
        return {
          item, days, values: found.count, ratios: found.ratio, points: found.total_count || 0,
          perDay: found.interval ? Math.round(86400 / found.interval) : 0, // a 24-hour day's count
          expected: (found.expected_count || []).reduce((a, b) => a + (b || 0), 0),
          withData: found.count.filter((v) => v > 0).length,
        };
      });
      shown = rows;
      draw(rows);
      table(rows);
      status.textContent = `${rows.length} timeseries × ${days.length} days`;
      form.dataset.done = "1";
    } catch (error) {
      if (stale()) return;
      status.textContent = `Could not compute: ${error.message}`;
      form.dataset.done = "error";
    }
  }

  function draw(rows) {
    const days = rows.reduce((max, row) => Math.max(max, row.values.length), 0);
    const width = Math.max(400, Math.min((document.getElementById("main").clientWidth || 1232) - 32, 1600));
    const cell = days ? Math.max(1, (width - LABEL) / days) : 1;
    const rowHeight = 16;
    canvas.width = width;
    canvas.height = Math.max(20, rows.length * rowHeight + 4);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.font = "12px system-ui, sans-serif";
    rows.forEach((row, r) => {
      ctx.fillStyle = "#1b1f24";
      ctx.fillText(row.item.name.slice(0, 26), 2, r * rowHeight + 12);
      row.values.forEach((value, d) => {
        ctx.fillStyle = color(row.ratios[d] || 0);
        ctx.fillRect(LABEL + d * cell, r * rowHeight + 1, Math.ceil(cell), rowHeight - 2);
      });
    });
  }
  canvas.addEventListener("mousemove", (event) => {
    if (!shown || !shown.length) return;
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width; // the canvas may be shown narrower than drawn
    const r = Math.floor(((event.clientY - box.top) * scale) / 16);
    const row = shown[r];
    if (!row || !row.values.length) return;
    const cell = (canvas.width - LABEL) / row.values.length;
    const d = Math.floor(((event.clientX - box.left) * scale - LABEL) / cell);
    if (d < 0 || d >= row.values.length) return;
    const ratio = row.ratios[d] === null ? "no interval" : `${Math.round(100 * row.ratios[d])} %`;
    $("cp-status").textContent = `${row.item.name}, ${row.days[d].slice(0, 10)}: ${row.values[d]} points (${ratio})`;
  });

  function table(rows) {
    $("cp-table").tBodies[0].replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      const total = row.expected;
      const cells = [row.item.name, String(row.points), row.perDay ? String(row.perDay) : "", `${row.withData} / ${row.values.length}`,
        total ? `${Math.round((100 * Math.min(row.points, total)) / total)} %` : "no data"];
      for (const text of cells) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
      return tr;
    }));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
  show();
})();
