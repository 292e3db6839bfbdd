/**
 * The API's rate budget, split between the scheduled runs and a backfill on AWS, in one place: the
 * settings check it (synth and cold start), the state machine sets its concurrency from it, each
 * backfill item paces its requests by it, and so does each scheduled function.
 *
 * The split: a fifth of `apiRequestsPerMinute` (but at least one request a minute for each
 * scheduled function) stays free for the scheduled runs (hourly and daily export, report), which
 * send a few requests an hour; the rest is shared evenly by the `backfillConcurrency` items that
 * run at once. Every share is a whole number of requests in any 60 s window, and the shares add up
 * to no more than the budget, so with every item and every scheduled function at once no minute
 * holds more than `apiRequestsPerMinute` requests (test/lake/rate-budget-simulation.test.ts).
 *
 * A run from the CLI paces to the whole budget instead (`wholeBudgetPaceOf`): it is the one run
 * using the token, or the user lowers `apiRequestsPerMinute` for it (--max-requests-per-minute).
 */
import { TIME } from '../contract.ts';

/** The scheduled runs keep one part in this many of the budget while a backfill runs. */
const SCHEDULED_PARTS = 5;

/** The functions that share the scheduled runs' part: the hourly export, the daily export, the report. */
export const SCHEDULED_FUNCTIONS = 3;

/** At most `requests` start within any `windowMs` (a half-open window: [t, t + windowMs)). */
export interface RequestPace {
  readonly requests: number;
  readonly windowMs: number;
}

export interface BackfillBudgetSettings {
  /** The API's rate limit, requests per minute. */
  readonly apiRequestsPerMinute: number;
  /** Backfill items at once (the Map state's MaxConcurrency). */
  readonly backfillConcurrency: number;
}

export interface BackfillBudget {
  /** Requests per minute left for the scheduled runs. */
  readonly scheduledPerMinute: number;
  /** Requests per minute the backfill's items may send together. */
  readonly backfillPerMinute: number;
  /** Requests per minute one item may send. */
  readonly itemPerMinute: number;
  /** The least time between two requests of one item: a whole number of them fits in a minute. */
  readonly itemSpacingMs: number;
  /** The pace of one item: one request per `itemSpacingMs`. */
  readonly itemPace: RequestPace;
  /** The pace of one scheduled function (`scheduledPaceOf`). */
  readonly scheduledPace: RequestPace;
}

/** Requests per minute the scheduled functions keep: a fifth, but at least one each. */
function scheduledPerMinuteOf(apiRequestsPerMinute: number): number {
  // Divided, not multiplied by the share: 35 / 5 is exactly 7, 35 * 0.2 is not.
  return Math.max(apiRequestsPerMinute / SCHEDULED_PARTS, SCHEDULED_FUNCTIONS);
}

/**
 * The pace of one scheduled function: a whole third of the scheduled share in any minute, all at
 * once if it wants (a normal run sends a few requests and is not slowed), never more. Only
 * `apiRequestsPerMinute` decides it, so the scheduled functions need no other setting.
 */
export function scheduledPaceOf(settings: Pick<BackfillBudgetSettings, 'apiRequestsPerMinute'>): RequestPace {
  return {
    requests: Math.floor(scheduledPerMinuteOf(settings.apiRequestsPerMinute) / SCHEDULED_FUNCTIONS),
    windowMs: TIME.MINUTE,
  };
}

/**
 * What a run with the budget to itself (the CLI's run, backfill, report and start) waits on top of
 * each minute. Its pace uses the whole budget, so nothing is left to absorb a request that reaches
 * the API sooner after it leaves than the one a budget before it did (a kept-alive connection
 * after a new one, a timer that fires a millisecond early): it would land inside that one's minute.
 */
export const WHOLE_BUDGET_MARGIN_MS = 1000;

/**
 * The pace of a run that has the budget to itself: `apiRequestsPerMinute` in any minute (and
 * `WHOLE_BUDGET_MARGIN_MS`), all at once if it wants, so a run of fewer requests is not slowed.
 */
export function wholeBudgetPaceOf(
  settings: Pick<BackfillBudgetSettings, 'apiRequestsPerMinute'>,
): RequestPace {
  return { requests: settings.apiRequestsPerMinute, windowMs: TIME.MINUTE + WHOLE_BUDGET_MARGIN_MS };
}

export function backfillBudgetOf(settings: BackfillBudgetSettings): BackfillBudget {
  const scheduledPerMinute = scheduledPerMinuteOf(settings.apiRequestsPerMinute);
  const backfillPerMinute = settings.apiRequestsPerMinute - scheduledPerMinute;
  const itemPerMinute = backfillPerMinute / settings.backfillConcurrency;
  // Spaced for a whole number of requests a minute: with 3.4 a minute, a spacing of 60 s / 3.4
  // would let 4 requests into some minutes.
  const itemSpacingMs = Math.ceil(TIME.MINUTE / Math.floor(itemPerMinute));
  return {
    scheduledPerMinute,
    backfillPerMinute,
    itemPerMinute,
    itemSpacingMs,
    itemPace: { requests: 1, windowMs: itemSpacingMs },
    scheduledPace: scheduledPaceOf(settings),
  };
}

/**
 * The rule `backfillConcurrency` must keep, or null when it does: every item at once must still
 * get at least one request a minute out of the backfill's share.
 */
export function backfillBudgetProblem(settings: BackfillBudgetSettings): string | null {
  const { backfillPerMinute } = backfillBudgetOf(settings);
  const most = Math.floor(backfillPerMinute);
  if (settings.backfillConcurrency <= most) return null;
  return `must be at most ${most}: the backfill's items share ${most} of apiRequestsPerMinute (${settings.apiRequestsPerMinute}) requests a minute (the scheduled runs keep the rest), at least one request a minute each`;
}
