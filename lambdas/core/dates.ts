/**
 * Reading dates and instants that people type: on the command line, in a Lambda event, in a
 * setting. One parser, so every entry point accepts the same forms and refuses the same mistakes
 * (30 February, 24:00, a time without a zone that would be read in the machine's own zone).
 */

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * The form of a calendar date, `YYYY-MM-DD`, as a regex source with the year, month and day
 * captured. Whether the day exists is checked apart (`parseCalendarDate`).
 */
export const CALENDAR_DATE_FORM = String.raw`(\d{4})-(\d{2})-(\d{2})`;

/** What a calendar date looks like, as messages put it ("must be ...", "... is not ..."). */
export const CALENDAR_DATE = 'a calendar date in the form YYYY-MM-DD';

const INSTANT = new RegExp(
  String.raw`^${CALENDAR_DATE_FORM}(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-](\d{2}):?(\d{2})))?$`,
  'i',
);

function isCalendarDay(year: number, month: number, day: number): boolean {
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

/** Parses `YYYY-MM-DD`, or returns null when it is not a real calendar date. */
export function parseCalendarDate(text: string): CalendarDate | null {
  const match = INSTANT.exec(text);
  if (match === null || match[4] !== undefined) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isCalendarDay(year, month, day) ? { year, month, day } : null;
}

/** Parses `YYYY-MM-DD`, or throws a RangeError naming the text and the form. */
export function requireCalendarDate(text: string): CalendarDate {
  const parsed = parseCalendarDate(text);
  if (parsed === null) throw new RangeError(`${JSON.stringify(text)} is not ${CALENDAR_DATE}`);
  return parsed;
}

/**
 * Epoch milliseconds of a date (`2026-11-25`, its midnight UTC) or an ISO 8601 date-time with a
 * zone (`2026-11-25T08:00:00Z`, `...+01:00`), or null when it is neither or names a moment that
 * does not exist.
 */
export function parseInstant(text: string): number | null {
  const match = INSTANT.exec(text.trim());
  if (match === null) return null;
  const [
    ,
    year,
    month,
    day,
    hour = '0',
    minute = '0',
    second = '0',
    ,
    offsetHours = '0',
    offsetMinutes = '0',
  ] = match.map((part) => part ?? undefined);
  const fieldsExist =
    isCalendarDay(Number(year), Number(month), Number(day)) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60 &&
    Number(offsetHours) < 24 &&
    Number(offsetMinutes) < 60;
  if (!fieldsExist) return null;
  const ms = Date.parse(match[4] === undefined ? `${text.trim()}T00:00:00Z` : text.trim());
  return Number.isNaN(ms) ? null : ms;
}

/** The UTC calendar date of an instant, `YYYY-MM-DD`. */
export function utcDateOf(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** An ISO 8601 rendering for messages; a value no Date can hold is shown as it is. */
export function isoTime(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? new Date(ms).toISOString()
    : String(ms);
}
