// Wall-clock time in a campaign's timezone, shared by the pages' scripts (loaded before them).
window.bemserverTime = (() => {
  const formats = new Map();
  function parts(tz, ms) { // the wall-clock fields of an instant in `tz`
    if (!formats.has(tz)) {
      formats.set(tz, new Intl.DateTimeFormat("en-US", {
        timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      }));
    }
    return Object.fromEntries(formats.get(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  }
  function offsetAt(tz, ms) { // the timezone's offset from UTC at an instant, in ms
    const p = parts(tz, ms);
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  function wallToInstant(tz, y, m, d, hh = 0, mm = 0) { // a wall-clock time in `tz` -> ms
    const guess = Date.UTC(y, m - 1, d, hh, mm);
    return guess - offsetAt(tz, guess - offsetAt(tz, guess));
  }
  function midnight(tz, date) { // "2024-01-31" at 00:00 in `tz`, as an ISO instant
    const [y, m, d] = date.split("-").map(Number);
    return new Date(wallToInstant(tz, y, m, d)).toISOString();
  }
  return { parts, offsetAt, wallToInstant, midnight };
})();
