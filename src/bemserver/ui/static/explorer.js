// The chart explorer: series picked from the API's list, drawn with uPlot on up to two unit axes.
// Raw values come down-sampled on the server (GET /timeseries_data/?max_points=N: a min/max per
// pixel column), aggregates straight from GET /timeseries_data/aggregate; times in the campaign's
// timezone. Zooming (drag) or panning asks the server again for the range shown.
"use strict";

(() => {
  const root = document.getElementById("explorer");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const campaign = root.dataset.campaign;
  const tz = root.dataset.timezone || "UTC";
  const picked = []; // {id, name, unit}
  let plot = null;
  let shown = null; // {x: [s], series: [[...]], picked: [...]} as drawn, for the CSV export
  let whole = null; // [start, end] ms of the period chosen
  let loading = 0;
  const COLORS = ["#1f5fbf", "#c0392b", "#1e8449", "#8e44ad", "#b9770e", "#117a8b", "#6e2c00", "#34495e"];

  // --- time in the campaign's timezone -----------------------------------------------------------
  function wallToInstant(text) { // "2024-01-02T03:04" in the campaign's timezone -> ms
    const [date, time = "00:00"] = text.split("T");
    const [y, m, d] = date.split("-").map(Number);
    const [hh, mm] = time.split(":").map(Number);
    return window.bemserverTime.wallToInstant(tz, y, m, d, hh, mm);
  }
  function instantToWall(ms) {
    const p = window.bemserverTime.parts(tz, ms);
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  }
  const iso = (ms) => new Date(ms).toISOString();

  // --- series search and choice ------------------------------------------------------------------
  async function getJSON(path, params) {
    const answer = await fetch(`/ui/api${path}?${params}`, { credentials: "same-origin" });
    if (!answer.ok) {
      let message = `HTTP ${answer.status}`;
      try { message = (await answer.json()).message || message; } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return answer.json();
  }

  let searchTimer = null;
  $("series-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 150);
  });
  let searching = 0; // the newest search: an older answer arriving later is dropped
  async function search() {
    const mine = ++searching;
    const text = $("series-search").value.trim();
    const params = new URLSearchParams({ campaign_id: campaign, page_size: "20" });
    if (text) params.set("in_name", text);
    const found = await getJSON("/timeseries/", params);
    if (mine !== searching) return;
    const list = $("series-found");
    list.replaceChildren(...found.map((item) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${item.name}${item.unit_symbol ? " (" + item.unit_symbol + ")" : ""}`;
      button.dataset.id = item.id;
      button.addEventListener("click", () => { add(item); });
      li.append(button);
      return li;
    }));
  }
  function add(item) {
    if (picked.some((one) => one.id === item.id)) return;
    picked.push({ id: item.id, name: item.name, unit: item.unit_symbol || "" });
    renderPicked();
  }
  function renderPicked() {
    $("series-picked").replaceChildren(...picked.map((item, index) => {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch c${index % COLORS.length}`;
      const label = document.createElement("span");
      label.textContent = `${item.name} ${item.unit ? "[" + item.unit + "]" : ""}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${item.name}`);
      remove.addEventListener("click", () => { picked.splice(index, 1); renderPicked(); });
      li.append(swatch, label, remove);
      return li;
    }));
  }

  // --- period ------------------------------------------------------------------------------------
  const DAYS = { "1d": 1, "7d": 7, "30d": 30, "365d": 365 };
  $("period").addEventListener("change", () => { if ($("period").value !== "custom") fillPeriod(); });
  for (const id of ["start", "end"]) $(id).addEventListener("change", () => { $("period").value = "custom"; });
  async function fillPeriod() {
    const choice = $("period").value;
    let start, end;
    if (choice in DAYS) {
      end = Date.now();
      start = end - DAYS[choice] * 86400e3;
    } else if (choice === "campaign" && root.dataset.start) {
      start = Date.parse(root.dataset.start);
      end = root.dataset.end ? Date.parse(root.dataset.end) : Date.now();
    } else if (choice === "all" && picked.length) {
      const params = new URLSearchParams({ data_state: $("state").value });
      picked.forEach((item) => params.append("timeseries", item.id));
      const stats = (await getJSON("/timeseries_data/stats", params)).stats;
      const firsts = Object.values(stats).map((s) => s.first_timestamp).filter(Boolean).map(Date.parse);
      const lasts = Object.values(stats).map((s) => s.last_timestamp).filter(Boolean).map(Date.parse);
      if (!firsts.length) return;
      start = Math.min(...firsts);
      end = Math.max(...lasts) + 1000;
    } else {
      return;
    }
    $("start").value = instantToWall(start);
    $("end").value = instantToWall(end);
  }

  $("mode").addEventListener("change", showBucket);
  function showBucket() { $("bucket-fields").hidden = $("mode").value !== "aggregate"; }
  showBucket();

  // --- data --------------------------------------------------------------------------------------
  function columns() { return Math.max(200, Math.min(1200, Math.round($("chart").clientWidth || 800))); }

  async function fetchData(start, end) {
    const params = new URLSearchParams({
      start_time: iso(start), end_time: iso(end), data_state: $("state").value, timezone: "UTC",
    });
    picked.forEach((item) => params.append("timeseries", item.id));
    let path = "/timeseries_data/";
    if ($("mode").value === "aggregate") {
      path = "/timeseries_data/aggregate";
      params.set("bucket_width_value", $("bucket-value").value || "1");
      params.set("bucket_width_unit", $("bucket-unit").value);
      params.set("aggregation", $("aggregation").value);
    } else {
      params.set("max_points", String(columns() * 2)); // a min and a max per pixel column
    }
    return getJSON(path, params);
  }

  function align(document) { // {id: {iso: value}} -> uPlot's [x[], y1[], y2[]...] on the union of times
    const maps = picked.map((item) => document[String(item.id)] || {});
    const times = new Set();
    const parsed = maps.map((map) => {
      const entries = [];
      for (const key in map) {
        const t = Date.parse(key) / 1000;
        times.add(t);
        entries.push([t, map[key]]);
      }
      return new Map(entries);
    });
    const x = Float64Array.from(times).sort();
    const ys = parsed.map((map) => Array.from(x, (t) => (map.has(t) ? map.get(t) : null)));
    return [Array.from(x), ...ys];
  }

  function axesOf() { // the first unit on the left axis, the second one (and any other) on the right
    const units = [...new Set(picked.map((item) => item.unit))];
    const scaleOf = (unit) => (units.indexOf(unit) === 0 ? "left" : "right");
    return { units, scaleOf };
  }

  function build(data) {
    const { units, scaleOf } = axesOf();
    const aggregated = $("mode").value === "aggregate";
    const options = {
      width: $("chart").clientWidth || 800,
      height: 420,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), tz),
      scales: { x: { time: true }, left: {}, right: {} },
      series: [
        { label: `Time (${tz})` },
        ...picked.map((item, index) => ({
          label: `${item.name}${item.unit ? " [" + item.unit + "]" : ""}`,
          scale: scaleOf(item.unit),
          stroke: COLORS[index % COLORS.length],
          width: 1.25,
          spanGaps: !aggregated,
          points: { show: false },
        })),
      ],
      axes: [
        {},
        { scale: "left", label: units[0] || "" },
        ...(units.length > 1 ? [{ scale: "right", side: 1, label: units.slice(1).join(", "), grid: { show: false } }] : []),
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: { setSelect: [onZoom] },
    };
    if (plot) plot.destroy();
    plot = new uPlot(options, data, $("chart"));
  }

  function onZoom(u) {
    if (u.select.width < 2) return;
    const start = u.posToVal(u.select.left, "x") * 1000;
    const end = u.posToVal(u.select.left + u.select.width, "x") * 1000;
    u.setSelect({ left: 0, width: 0 }, false);
    draw(start, end);
  }

  async function draw(start, end, keep = false) {
    if (!picked.length) { status("Add at least one timeseries."); return; }
    const clicked = performance.now();
    const mine = ++loading;
    status("Loading…");
    root.dataset.drawn = "";
    try {
      const document = await fetchData(start, end);
      if (mine !== loading) return;
      const data = align(document);
      build(data);
      shown = { data, picked: picked.slice() };
      if (!keep) whole = whole || [start, end];
      $("export").disabled = false;
      const points = data.slice(1).reduce((sum, ys) => sum + ys.filter((v) => v !== null).length, 0);
      const ms = Math.round(performance.now() - clicked);
      status(`${points} points drawn in ${ms} ms · ${instantToWall(start).replace("T", " ")} → ${instantToWall(end).replace("T", " ")}`);
      root.dataset.drawn = String(ms);
      root.dataset.points = String(points);
    } catch (error) {
      if (mine !== loading) return;
      status(`Could not draw: ${error.message}`);
      root.dataset.drawn = "error";
    }
  }
  function status(text) { $("status").textContent = text; }

  function currentRange() {
    if (!plot) return null;
    return [plot.scales.x.min * 1000, plot.scales.x.max * 1000];
  }

  $("draw").addEventListener("click", async () => {
    if ($("period").value === "all" || !$("start").value || !$("end").value) await fillPeriod();
    if (!$("start").value || !$("end").value) { status("Choose a period."); return; }
    const start = wallToInstant($("start").value);
    const end = wallToInstant($("end").value);
    if (!(end > start)) { status("The period's end must come after its start."); return; }
    whole = [start, end];
    draw(start, end);
  });
  function pan(direction) {
    const range = currentRange();
    if (!range) return;
    const step = (range[1] - range[0]) / 2 * direction;
    draw(range[0] + step, range[1] + step, true);
  }
  $("pan-left").addEventListener("click", () => pan(-1));
  $("pan-right").addEventListener("click", () => pan(1));
  $("zoom-out").addEventListener("click", () => {
    const range = currentRange();
    if (!range) return;
    const half = (range[1] - range[0]);
    draw(range[0] - half / 2, range[1] + half / 2, true);
  });
  $("zoom-reset").addEventListener("click", () => { if (whole) draw(whole[0], whole[1]); });
  $("chart").addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") pan(-1);
    else if (event.key === "ArrowRight") pan(1);
    else if (event.key === "-") $("zoom-out").click();
  });
  window.addEventListener("resize", () => { if (plot) plot.setSize({ width: $("chart").clientWidth, height: 420 }); });

  // --- CSV export of what is shown ---------------------------------------------------------------
  $("export").addEventListener("click", () => {
    if (!shown) return;
    const [x, ...ys] = shown.data;
    const quote = (text) => `"${String(text).replaceAll('"', '""')}"`;
    const lines = [["Datetime", ...shown.picked.map((item) => quote(item.name))].join(",")];
    const range = currentRange() || [-Infinity, Infinity];
    for (let i = 0; i < x.length; i++) {
      const ms = x[i] * 1000;
      if (ms < range[0] || ms > range[1]) continue;
      lines.push([instantToWall(ms).replace("T", " ") + ":" + new Date(ms).toISOString().slice(17, 19),
        ...ys.map((column) => (column[i] === null ? "" : column[i]))].join(","));
    }
    const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `bemserver-${campaign}-${instantToWall(range[0] === -Infinity ? x[0] * 1000 : range[0]).slice(0, 10)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  // --- start: series named in the address (?ts=1&ts=2) ------------------------------------------
  const wanted = new URLSearchParams(window.location.search).getAll("ts");
  if (wanted.length) {
    Promise.all(wanted.map((id) => getJSON(`/timeseries/${encodeURIComponent(id)}`, "")))
      .then((items) => { items.forEach(add); return fillPeriod(); })
      .then(() => $("draw").click())
      .catch((error) => status(`Could not load the series: ${error.message}`));
  }
  search();
})();
