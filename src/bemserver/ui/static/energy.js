// Energy breakdown: the consumption (or production) timeseries linked to a site or a building
// (GET /energy_<flow>_timeseries_by_<sites|buildings>/), summed per bar in kWh
// (GET /timeseries_data/aggregate?aggregation=sum&convert_to=kWh), stacked by energy or by end use
// (technology), optionally divided by a property of the place (e.g. its area). Next to them, the
// site's heating degree days per bar (GET /sites/<id>/degree_days?period=<bar>, from its measured
// outdoor air temperature in the Clean state).
"use strict";

(() => {
  const form = document.getElementById("energy");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const tz = form.dataset.timezone || "UTC";
  const names = JSON.parse($("en-names").textContent);
  const COLORS = ["#1f5fbf", "#c0392b", "#1e8449", "#8e44ad", "#b9770e", "#117a8b", "#6e2c00", "#34495e"];

  const midnight = (date) => window.bemserverTime.midnight(tz, date);
  async function getJSON(path, params) {
    const answer = await fetch(`/ui/api${path}?${params}`, { credentials: "same-origin" });
    if (!answer.ok) {
      let message = `HTTP ${answer.status}`;
      try { message = (await answer.json()).message || message; } catch (_) { /* not JSON */ }
      const error = new Error(message);
      error.status = answer.status;
      throw error;
    }
    return answer.json();
  }

  async function divisor(kind, id) { // the chosen property's value for this place, or 1
    const property = $("en-area").value;
    if (!property) return { value: 1, label: "" };
    const [enabled, values] = await Promise.all([
      getJSON(`/${kind}_properties/`, ""),
      getJSON(`/${kind}_property_data/`, new URLSearchParams({ [`${kind}_id`]: id })),
    ]);
    const mine = enabled.filter((e) => String(e.structural_element_property_id) === property).map((e) => e.id);
    const found = values.find((v) => mine.includes(v[`${kind}_property_id`]));
    const value = found ? Number(found.value) : NaN;
    return { value, label: $("en-area").selectedOptions[0].textContent };
  }

  let latest = 0; // only the newest request draws: an older one that answers later is dropped

  async function show() {
    const mine = ++latest;
    const stale = () => mine !== latest;
    const status = $("en-status");
    status.textContent = "Loading…";
    form.dataset.done = "";
    try {
      const [kind, id] = $("en-place").value.split(":");
      const flow = $("en-direction").value;
      const links = await getJSON(`/energy_${flow}_timeseries_by_${kind}s/`, new URLSearchParams({ [`${kind}_id`]: id }));
      if (stale()) return;
      if (!links.length) { status.textContent = `No ${flow} timeseries linked to this ${kind}.`; paint([], [], []); form.dataset.done = "1"; return; }
      const useKey = flow === "consumption" ? "end_use_id" : "prod_tech_id";
      const useNames = flow === "consumption" ? names.end_uses : names.technologies;
      const groupOf = (link) => ($("en-group").value === "energy" ? names.energies[link.energy_id] : useNames[link[useKey]]) || "?";
      const params = new URLSearchParams({
        start_time: midnight($("en-start").value), end_time: midnight($("en-end").value), data_state: $("en-state").value,
        timezone: tz, bucket_width_value: "1", bucket_width_unit: $("en-bucket").value, aggregation: "sum",
      });
      links.forEach((link) => { params.append("timeseries", link.timeseries_id); params.append("convert_to", "kWh"); });
      let unit = "kWh";
      let sums;
      try {
        sums = await getJSON("/timeseries_data/aggregate", params);
      } catch (error) { // a series not in an energy unit: sums in the series' own units
        if (error.status !== 422) throw error;
        params.delete("convert_to");
        sums = await getJSON("/timeseries_data/aggregate", params);
        unit = [...new Set(links.map((link) => link.timeseries.unit_symbol))].join(", ");
      }
      if (stale()) return;
      const area = await divisor(kind, id);
      if (stale()) return;
      if (!(area.value > 0)) { status.textContent = `This ${kind} has no positive value of ${area.label}.`; form.dataset.done = "1"; return; }
      const buckets = [...new Set(links.flatMap((link) => Object.keys(sums[String(link.timeseries_id)] || {})))].sort();
      const groups = [...new Set(links.map(groupOf))].sort();
      const totals = groups.map(() => buckets.map(() => 0));
      for (const link of links) {
        const series = sums[String(link.timeseries_id)] || {};
        const g = groups.indexOf(groupOf(link));
        buckets.forEach((bucket, b) => { totals[g][b] += (series[bucket] || 0) / area.value; });
      }
      const shownUnit = area.label ? `${unit} per ${area.label}` : unit;
      const degrees = await degreeDays(kind, id, buckets);
      if (stale()) return;
      paint(buckets, groups, totals, shownUnit, degrees);
      table(buckets, groups, totals, shownUnit, degrees);
      status.textContent = `${links.length} timeseries, ${groups.length} groups, ${buckets.length} bars (${shownUnit})`
        + (degrees ? `, heating degree days (base ${$("en-base").value} °C)` : ", no outdoor temperature for degree days");
      form.dataset.done = "1";
    } catch (error) {
      if (stale()) return;
      status.textContent = `Could not compute: ${error.message}`;
      form.dataset.done = "error";
    }
  }

  async function degreeDays(kind, id, buckets) { // per bar, or null without a temperature series
    if (!buckets.length) return null;
    const site = kind === "site" ? id : (await getJSON(`/buildings/${id}`, "")).site_id;
    const params = new URLSearchParams({
      start_date: $("en-start").value, end_date: $("en-end").value, period: $("en-bucket").value,
      type: "heating", base: String(Number($("en-base").value || 18)), unit: "°C",
    });
    let periods;
    try {
      periods = (await getJSON(`/sites/${site}/degree_days`, params)).degree_days;
    } catch (error) { // 409: the site has no outdoor temperature the user may read
      if (error.status === 409) return null;
      throw error;
    }
    // The periods are the bars' own calendar periods (same starts); each goes to the bar it falls in.
    const starts = buckets.map((bucket) => Date.parse(bucket));
    const sums = buckets.map(() => 0);
    for (const [first, value] of Object.entries(periods)) {
      if (value === null) continue;
      const t = Date.parse(first);
      let b = starts.length - 1;
      while (b > 0 && starts[b] > t) b--;
      if (t >= starts[0]) sums[b] += value;
    }
    return sums;
  }

  function paint(buckets, groups, totals, unit, degrees) {
    const canvas = $("en-chart");
    canvas.width = Math.max(400, Math.min(($("main").clientWidth || 1000) - 32, 1600));
    const ctx = canvas.getContext("2d");
    const [left, top, bottom] = [70, 24, 40];
    const height = canvas.height - top - bottom;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!buckets.length) return;
    const stacks = buckets.map((_, b) => totals.reduce((sum, row) => sum + Math.max(row[b], 0), 0));
    const max = Math.max(...stacks, 1e-9);
    const width = (canvas.width - left - 10) / buckets.length;
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#1b1f24";
    ctx.fillText(unit, 4, 14);
    for (let i = 0; i <= 4; i++) {
      const y = top + height - (height * i) / 4;
      ctx.fillStyle = "#d0d7de";
      ctx.fillRect(left, y, canvas.width - left - 10, 1);
      ctx.fillStyle = "#57606a";
      ctx.fillText(((max * i) / 4).toPrecision(3), 4, y + 4);
    }
    buckets.forEach((bucket, b) => {
      let y = top + height;
      groups.forEach((_, g) => {
        const h = (Math.max(totals[g][b], 0) / max) * height;
        ctx.fillStyle = COLORS[g % COLORS.length];
        ctx.fillRect(left + b * width + 2, y - h, Math.max(1, width - 4), h);
        y -= h;
      });
      if (buckets.length <= 40 || b % Math.ceil(buckets.length / 20) === 0) {
        ctx.fillStyle = "#1b1f24";
        ctx.fillText(bucket.slice(0, 10), left + b * width + 2, top + height + 14);
      }
    });
    if (degrees) { // a black line with dots, on its own scale (right)
      const top2 = Math.max(...degrees, 1e-9);
      ctx.strokeStyle = "#1b1f24";
      ctx.fillStyle = "#1b1f24";
      ctx.beginPath();
      degrees.forEach((value, b) => {
        const x = left + b * width + width / 2;
        const y = top + height - (value / top2) * height;
        if (b) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        ctx.fillRect(x - 3, y - 3, 6, 6);
      });
      ctx.stroke();
      ctx.fillText(`HDD (max ${top2.toFixed(0)})`, canvas.width - 110, 14);
    }
    groups.forEach((group, g) => {
      ctx.fillStyle = COLORS[g % COLORS.length];
      ctx.fillRect(left + g * 150, canvas.height - 14, 10, 10);
      ctx.fillStyle = "#1b1f24";
      ctx.fillText(group, left + g * 150 + 14, canvas.height - 5);
    });
  }

  function table(buckets, groups, totals, unit, degrees) {
    const head = document.createElement("tr");
    const extra = degrees ? [`Heating degree days (base ${$("en-base").value} °C)`] : [];
    for (const text of ["Period", ...groups.map((g) => `${g} (${unit})`), ...extra]) {
      const th = document.createElement("th"); th.scope = "col"; th.textContent = text; head.append(th);
    }
    $("en-table").tHead.replaceChildren(head);
    $("en-table").tBodies[0].replaceChildren(...buckets.map((bucket, b) => {
      const tr = document.createElement("tr");
      const cells = [bucket.slice(0, 10), ...groups.map((_, g) => totals[g][b].toFixed(2))];
      if (degrees) cells.push(degrees[b].toFixed(1));
      for (const text of cells) {
        const td = document.createElement("td"); td.textContent = text; tr.append(td);
      }
      return tr;
    }));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
  if ($("en-place").value) show();
})();
