/** Times in the browser's own zone, with the zone's offset from UTC shown once in the header. */

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** `UTC+02:00` for the browser's zone at `ms`. */
export function offsetLabel(ms = Date.now()) {
  const minutes = -new Date(ms).getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time';
  } catch {
    return 'local time';
  }
}

/** `14:03:07.512` in the browser's zone. */
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `2026-12-01 14:03:07 UTC+01:00`: for titles and details. */
export function full(ms) {
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${clock(ms)} ${offsetLabel(ms)}`;
}

/** `+1.25 s` after `t0`. */
export function since(ms, t0) {
  return `+${((ms - t0) / 1000).toFixed(2)} s`;
}

/** `850 ms`, `5.4 s`, `2 min 5 s`. */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return sec === 0 ? `${min} min` : `${min} min ${sec} s`;
}
