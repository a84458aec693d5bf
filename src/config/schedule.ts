/**
 * Opening-hours schedules (flowyte `afterHours`), evaluated with `Intl.DateTimeFormat` in the
 * schedule's IANA time zone — no date library, daylight-saving time handled by the runtime's ICU.
 *
 * Shape: `{ mon: [['09:00', '17:00']], sat: [['10:00', '14:00']] }`. Each range is local
 * `HH:MM` start (inclusive) to end (exclusive), end may be `24:00`; a range never crosses
 * midnight (write `fri: [['22:00','24:00']], sat: [['00:00','02:00']]` instead). A day absent or
 * `[]` is closed all day. `closedDates` (`YYYY-MM-DD`, local) close whole days.
 */
import type { AfterHoursConfig, Weekday } from './agent-types.js';

/** A moment as seen on a wall clock in some time zone. */
export interface LocalTime {
  readonly weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  readonly minuteOfDay: number;
  /** Local calendar date, `YYYY-MM-DD`. */
  readonly date: string;
}

/**
 * The runtime's canonical name of an IANA zone (`europe/london` → `Europe/London`), or undefined
 * when the runtime does not know it.
 */
export function canonicalTimeZone(timezone: string): string | undefined {
  try {
    return formatterFor(timezone).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Parses `HH:MM` (00:00–24:00) to minutes since midnight; undefined when malformed. */
export function parseClock(text: string): number | undefined {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > 24 * 60 ? undefined : minutes;
}

/** The wall-clock time at `nowMs` (Unix ms) in `timezone`. */
export function localTimeAt(nowMs: number, timezone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(new Date(nowMs))) parts[part.type] = part.value;
  const weekday = WEEKDAY_BY_SHORT_NAME[parts['weekday'] ?? ''];
  if (weekday === undefined) throw new RangeError(`unexpected weekday ${String(parts['weekday'])}`);
  // Some ICU versions print midnight as 24 even with h23.
  const hour = Number(parts['hour']) % 24;
  return {
    weekday,
    minuteOfDay: hour * 60 + Number(parts['minute']),
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
  };
}

/** Whether the schedule is open at `nowMs` (Unix ms). */
export function isOpenAt(
  hours: Pick<AfterHoursConfig, 'timezone' | 'schedule' | 'closedDates'>,
  nowMs: number,
): boolean {
  const local = localTimeAt(nowMs, hours.timezone);
  if (hours.closedDates.includes(local.date)) return false;
  for (const [start, end] of hours.schedule[local.weekday] ?? []) {
    const from = parseClock(start);
    const to = parseClock(end);
    if (from !== undefined && to !== undefined && local.minuteOfDay >= from && local.minuteOfDay < to)
      return true;
  }
  return false;
}

const WEEKDAY_BY_SHORT_NAME: Readonly<Record<string, Weekday>> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

// Building an Intl.DateTimeFormat costs tens of microseconds; there are few zones, keep them.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}
