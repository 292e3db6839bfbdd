/**
 * A backfill on AWS as work items for the Backfill state machine: the backfill plan (the windows
 * of the range that are not final yet) cut into items of one dataset and at most one chunk each.
 * A chunk is a UTC day, or the API's longest range where that is shorter (6 hours for 1m and 5m),
 * so an item is one API request or a few, and finishes well inside one Lambda invocation. Pure.
 *
 * An item is itself a backfill event (`{from, to, datasets: [name], force}`): the item function
 * checks it with the same rules, and, since the lake's keys are deterministic, a retried item
 * rewrites the same objects.
 */
import { INTERVAL_LIMITS, TIME } from '../contract.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { isoTime } from '../dates.ts';
import type { Gap, RunPlan } from './plan.ts';

/** At most this many items run in an inline Map; more go to S3 for a Distributed Map. */
export const INLINE_ITEMS_LIMIT = 40;

/** One work item: a backfill event for one dataset and one chunk. */
export interface BackfillItem {
  readonly from: string;
  readonly to: string;
  readonly datasets: readonly [string];
  readonly force?: true;
}

/** The longest range of one item of `dataset`. */
export function itemChunkMs(dataset: DatasetDefinition): number {
  const { maxRangeMs } = INTERVAL_LIMITS[dataset.interval];
  return Math.min(TIME.DAY, maxRangeMs ?? TIME.DAY);
}

/**
 * The items that fetch every window of `plan`: each run of consecutive windows is cut at chunk
 * boundaries (aligned to UTC midnight), in the plan's order (windows closest to leaving the API's
 * look-back first).
 */
export function backfillItemsOf(plan: RunPlan, force: boolean): BackfillItem[] {
  const items: BackfillItem[] = [];
  for (const fetch of plan.fetches) {
    const chunk = itemChunkMs(fetch.dataset);
    let start = fetch.from;
    while (start < fetch.to) {
      const end = Math.min(fetch.to, (Math.floor(start / chunk) + 1) * chunk);
      items.push({
        from: isoTime(start),
        to: isoTime(end),
        datasets: [fetch.dataset.name],
        ...(force ? { force: true as const } : {}),
      });
      start = end;
    }
  }
  return items;
}

/** A gap or a window still missing, as the Summary step lists it. */
export interface WindowRange {
  readonly dataset: string;
  readonly from: string;
  readonly to: string;
  readonly windows: number;
}

export interface BackfillSummary {
  /** Windows of the range the lake still lacks although the API serves them: failed items. */
  readonly windowsFailed: number;
  readonly failed: readonly WindowRange[];
  /** Windows the API no longer serves. */
  readonly gapWindows: number;
  readonly gaps: readonly (WindowRange & { readonly reason: Gap['reason'] })[];
  /** One line for the execution's failure cause and the console. */
  readonly text: string;
}

/**
 * What a backfill left, read from the plan a backfill of the same range (without force) would
 * make now: a window it would fetch because it is absent was not written (its item failed), a gap
 * is a window no one can fetch.
 */
export function summarizeBackfill(plan: RunPlan): BackfillSummary {
  // Absent windows only: one written before it settled is present, with its provisional marker,
  // and the scheduled runs fetch it again once it has settled.
  const failed = plan.fetches.flatMap((fetch) => {
    const missing = fetch.windows.filter((window) => window.reason === 'requested');
    const first = missing[0];
    const last = missing[missing.length - 1];
    if (!first || !last) return [];
    return [
      {
        dataset: fetch.dataset.name,
        from: isoTime(first.start),
        to: isoTime(last.end),
        windows: missing.length,
      },
    ];
  });
  const gaps = plan.gaps.map((gap) => ({
    dataset: gap.dataset,
    from: isoTime(gap.start),
    to: isoTime(gap.end),
    windows: gap.windows,
    reason: gap.reason,
  }));
  const windowsFailed = failed.reduce((sum, range) => sum + range.windows, 0);
  const gapWindows = gaps.reduce((sum, gap) => sum + gap.windows, 0);
  const listed = failed
    .slice(0, 10)
    .map((range) => `${range.dataset} [${range.from}, ${range.to})`)
    .join('; ');
  const text =
    windowsFailed > 0
      ? `${windowsFailed} window(s) were not written: ${listed}${failed.length > 10 ? `; and ${failed.length - 10} more ranges` : ''}. Redrive the execution (peer5-reporter backfill --redrive ARN) to fetch only these.`
      : `Every window the API serves is in the lake${gapWindows > 0 ? `; ${gapWindows} window(s) are gaps the API no longer serves` : ''}.`;
  return { windowsFailed, failed, gapWindows, gaps, text };
}
