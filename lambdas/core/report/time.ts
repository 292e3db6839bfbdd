/**
 * Calendar days in an IANA time zone, computed with `Intl` only. A report day is
 * [local midnight, next local midnight) converted to UTC, so it lasts 23 or 25 hours on DST days.
 */
import { TIME } from '../contract.ts';

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's canonical name, or null when `Intl` does not know it. */
export function canonicalTimeZone(timeZone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The local wall-clock time at instant `t`, expressed as milliseconds as if it were UTC. */
export function wallClockMs(t: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of wallClockFormatter(timeZone).formatToParts(t)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at instant `t`, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  return wallClockMs(t, timeZone) - Math.floor(t / 1000) * 1000;
}

import { requireCalendarDate, utcDateOf } from '../dates.ts';

/** The calendar date `days` days after `date` (negative goes back). */
export function addDays(date: string, days: number): string {
  const { year, month, day } = requireCalendarDate(date);
  return utcDateOf(Date.UTC(year, month - 1, day + days));
}

/** The local calendar date at instant `t`. */
export function localDateOf(t: number, timeZone: string): string {
  return utcDateOf(Math.floor(wallClockMs(t, timeZone) / TIME.DAY) * TIME.DAY);
}

/**
 * The first instant of `date` in the zone. When midnight happens twice (a fall-back at 00:00),
 * the earlier one; when it does not exist (a spring-forward at 00:00, as in America/Santiago),
 * the instant the clocks jump, which is when that day's first local time begins.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const { year, month, day } = requireCalendarDate(date);
  const wallMidnight = Date.UTC(year, month - 1, day);
  // Any transition near midnight is between the offsets in force a day either side.
  const before = zoneOffsetMs(wallMidnight - TIME.DAY, timeZone);
  const after = zoneOffsetMs(wallMidnight + TIME.DAY, timeZone);
  const offsets = new Set([before, zoneOffsetMs(wallMidnight, timeZone), after]);
  const valid = [...offsets]
    .map((offset) => wallMidnight - offset)
    .filter((candidate) => wallClockMs(candidate, timeZone) === wallMidnight);
  if (valid.length > 0) return Math.min(...valid);

  // Midnight falls in a gap: search the jump between the two candidate instants.
  let low = wallMidnight - Math.max(before, after);
  let high = wallMidnight - Math.min(before, after);
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (wallClockMs(middle, timeZone) >= wallMidnight) high = middle;
    else low = middle;
  }
  return high;
}

export interface LocalDayWindow {
  /** The calendar date, YYYY-MM-DD. */
  readonly date: string;
  /** First instant of the day, inclusive, ms since the epoch. */
  readonly from: number;
  /** First instant of the next day, exclusive. */
  readonly to: number;
}

export function localDayWindow(date: string, timeZone: string): LocalDayWindow {
  return { date, from: startOfLocalDay(date, timeZone), to: startOfLocalDay(addDays(date, 1), timeZone) };
}

/** The index of the window holding instant `t`, or -1 when none does. */
export function windowIndexOf(windows: readonly LocalDayWindow[], t: number): number {
  return windows.findIndex((window) => t >= window.from && t < window.to);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** `+01:00`, `-03:30`, `+05:45`. */
export function formatUtcOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetMs) / TIME.MINUTE);
  return `${sign}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** Local `HH:MM` at instant `t`. */
export function localClock(t: number, timeZone: string): string {
  const wall = new Date(wallClockMs(t, timeZone));
  return `${pad2(wall.getUTCHours())}:${pad2(wall.getUTCMinutes())}`;
}

/** Local ISO-8601 date-time with its offset, e.g. `2026-03-29T03:00+02:00`. */
export function localIsoMinute(t: number, timeZone: string): string {
  const wall = wallClockMs(t, timeZone);
  return `${new Date(wall).toISOString().slice(0, 16)}${formatUtcOffset(wall - Math.floor(t / 1000) * 1000)}`;
}

/** `Tuesday, 25 November 2026` for a YYYY-MM-DD date. */
export function longDate(date: string): string {
  const { year, month, day } = requireCalendarDate(date);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(Date.UTC(year, month - 1, day));
}
