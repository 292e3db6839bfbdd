/**
 * The API's rate budget, split between the scheduled runs and a backfill on AWS, in one place: the
 * settings check it (synth and cold start), the state machine sets its concurrency from it, and
 * each backfill item paces its requests by it.
 *
 * The split: a fifth of `apiRequestsPerMinute` stays free for the scheduled runs (hourly and daily
 * export, report), which send a few requests an hour; the rest is shared evenly by the
 * `backfillConcurrency` items that run at once. Each item paces itself to its share, so however
 * long it runs the items together never pass four fifths of the budget.
 */
import { TIME } from '../contract.ts';

/** The share of the budget the scheduled runs keep while a backfill runs. */
export const SCHEDULED_SHARE = 1 / 5;

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
  /** The least time between two requests of one item. */
  readonly itemSpacingMs: number;
}

export function backfillBudgetOf(settings: BackfillBudgetSettings): BackfillBudget {
  const backfillPerMinute = settings.apiRequestsPerMinute * (1 - SCHEDULED_SHARE);
  const itemPerMinute = backfillPerMinute / settings.backfillConcurrency;
  return {
    scheduledPerMinute: settings.apiRequestsPerMinute - backfillPerMinute,
    backfillPerMinute,
    itemPerMinute,
    itemSpacingMs: Math.ceil(TIME.MINUTE / itemPerMinute),
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
  return `must be at most ${most}: the backfill's items share ${Math.round((1 - SCHEDULED_SHARE) * 100)}% of apiRequestsPerMinute (${settings.apiRequestsPerMinute}), at least one request a minute each`;
}
