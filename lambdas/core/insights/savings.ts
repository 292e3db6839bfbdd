/**
 * What P2P saved: the bytes the CDN did not carry, and what they would have cost.
 *
 * Tiers price the calendar month's cumulative volume, so savings are worked out on cumulative
 * volumes, never day by day on their own:
 *
 *   S(through day d) = cost(HTTP + P2P of the month through d) − cost(HTTP of the month through d)
 *   the day's savings = S(through the report day) − S(through the day before)   (0 before the 1st)
 *   month to date     = S(through the report day)
 *   projected month   = S on the month-to-date volumes × days in month / days elapsed
 *
 * The projection extrapolates volumes, not savings, and applies the tiers to the projected month,
 * so a month that will reach a cheaper tier is projected at that tier. On the last day of the month
 * it equals month to date. With volume discounts a day's savings can be negative: that day's HTTP
 * bytes were billed at a dearer tier than they would have been without the earlier P2P.
 *
 * Days are local calendar days of the report's zone, and the month is the report day's month. Every
 * day from the 1st to the report day is needed: when one is missing, the month figures are null
 * (and `missingDates` lists them) rather than guessed.
 */
import { CALENDAR_DATE, parseCalendarDate, utcDateOf } from '../dates.ts';
import { type CdnPrice, cdnCostOf } from './pricing.ts';
import type { Traffic } from './segments.ts';

export interface DayTraffic extends Traffic {
  /** The local calendar date, YYYY-MM-DD. */
  readonly date: string;
}

export interface SavingsInput {
  /** The report day, YYYY-MM-DD. */
  readonly date: string;
  /** Each day of the report day's month through the report day; other dates are refused. */
  readonly days: readonly DayTraffic[];
  /** Absent when the `cdnPricePerGb` setting is not set. */
  readonly price?: CdnPrice;
  readonly currency: string;
}

export interface PeriodFigures {
  readonly day: number | null;
  readonly monthToDate: number | null;
  readonly projectedMonth: number | null;
}

export interface Savings {
  readonly date: string;
  readonly currency: string;
  readonly daysInMonth: number;
  /** The report day's day of the month. */
  readonly daysElapsed: number;
  /** P2P bytes: the bytes the CDN did not have to deliver. */
  readonly bytesAvoided: PeriodFigures;
  /** Unrounded amounts in `currency`; null without a price. */
  readonly money: PeriodFigures | null;
  /** Days of the month through the report day that were not given. */
  readonly missingDates: readonly string[];
  /** Set when there is no price: how to set one. */
  readonly hint: string | null;
}

export class SavingsInputError extends Error {
  override readonly name = 'SavingsInputError';
}

/** The one line shown instead of money when no price is set. */
export function priceHint(currency: string): string {
  return `To see what P2P saved in ${currency}, set cdnPricePerGb to your CDN's price per GB, e.g. 0.02, or to monthly volume tiers (see docs/insights.md).`;
}

/** What P2P saved on a month's cumulative volumes: cost(http + p2p) − cost(http). */
export function savingsOnVolume(httpBytes: number, p2pBytes: number, price: CdnPrice): number {
  return cdnCostOf(httpBytes + p2pBytes, price) - cdnCostOf(httpBytes, price);
}

function isoDate(year: number, month: number, day: number): string {
  return utcDateOf(Date.UTC(year, month - 1, day));
}

export function savingsOf(input: SavingsInput): Savings {
  const parsed = parseCalendarDate(input.date);
  if (parsed === null)
    throw new SavingsInputError(`date: ${JSON.stringify(input.date)} is not ${CALENDAR_DATE}`);
  const { year, month, day: daysElapsed } = parsed;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const monthDates = Array.from({ length: daysElapsed }, (_, index) => isoDate(year, month, index + 1));

  const byDate = new Map<string, DayTraffic>();
  for (const entry of input.days) {
    if (!monthDates.includes(entry.date)) {
      throw new SavingsInputError(
        `days: ${entry.date} is not a day of ${input.date.slice(0, 7)} up to ${input.date}`,
      );
    }
    if (byDate.has(entry.date)) throw new SavingsInputError(`days: ${entry.date} is listed twice`);
    for (const field of ['http', 'p2p'] as const) {
      if (!Number.isFinite(entry[field]) || entry[field] < 0) {
        throw new SavingsInputError(
          `days: ${entry.date} ${field} must be a finite number of bytes, at least 0`,
        );
      }
    }
    byDate.set(entry.date, entry);
  }
  const missingDates = monthDates.filter((date) => !byDate.has(date));
  const reportDay = byDate.get(input.date);
  const complete = missingDates.length === 0;

  let http = 0;
  let p2p = 0;
  for (const date of monthDates) {
    http += byDate.get(date)?.http ?? 0;
    p2p += byDate.get(date)?.p2p ?? 0;
  }
  const scale = daysInMonth / daysElapsed;
  const bytesAvoided: PeriodFigures = {
    day: reportDay?.p2p ?? null,
    monthToDate: complete ? p2p : null,
    projectedMonth: complete ? p2p * scale : null,
  };

  let money: PeriodFigures | null = null;
  if (input.price !== undefined) {
    const price = input.price;
    if (complete && reportDay !== undefined) {
      const throughDay = savingsOnVolume(http, p2p, price);
      const throughDayBefore = savingsOnVolume(http - reportDay.http, p2p - reportDay.p2p, price);
      money = {
        day: throughDay - throughDayBefore,
        monthToDate: throughDay,
        projectedMonth: savingsOnVolume(http * scale, p2p * scale, price),
      };
    } else {
      money = { day: null, monthToDate: null, projectedMonth: null };
    }
  }
  return {
    date: input.date,
    currency: input.currency,
    daysInMonth,
    daysElapsed,
    bytesAvoided,
    money,
    missingDates,
    hint: input.price === undefined ? priceHint(input.currency) : null,
  };
}
