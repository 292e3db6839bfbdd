/**
 * Which windows a run fetches, decided from `now` and what the lake holds. Pure: no I/O, no clock.
 *
 * A window is settled once `settleMs` have passed since its end (late data has stopped arriving);
 * before that its numbers are provisional. The lake holds a window as:
 *   absent                       -> fetch it while the API still serves it, else report a gap;
 *   present with a marker        -> provisional: fetch it again (until it has been written settled),
 *                                   or, past the API's reach, report it as a gap for a while;
 *   present, no marker, young    -> fetch it again anyway (cheap insurance while numbers still move);
 *   present, no marker, settled  -> final: leave it.
 */
import { INTERVAL_LIMITS } from '../contract.ts';
import { type DatasetDefinition, exportRequestFor, windowAt } from '../datasets.ts';
import { splitQuery } from '../query-split.ts';
import { checkBackfillRange } from './backfill-range.ts';
import { objectKey } from './layout.ts';
import { type RunPlanOptions, reachOf, resolveRunPlanOptions, stuckMarkerReportStart } from './reach.ts';

/** What the lake holds for one dataset, as far as it was listed. */
export interface DatasetLakeState {
  /** Earliest window anywhere in the dataset's table, or null when the table is empty. */
  readonly firstWindowStart: number | null;
  /** Objects were listed for windows starting at or after this; earlier ones are unknown. */
  readonly listedFrom: number;
  /** Starts of windows with an object, from `listedFrom` on. */
  readonly present: ReadonlySet<number>;
  /**
   * Starts of windows with a provisional marker, from `markerListingStartOf` on (from the listing
   * start for a backfill). Older markers stay in the lake but no run needs them.
   */
  readonly provisional: ReadonlySet<number>;
}

export interface LakeState {
  readonly prefix: string;
  readonly datasets: ReadonlyMap<string, DatasetLakeState>;
}

export const EMPTY_DATASET_STATE: DatasetLakeState = {
  firstWindowStart: null,
  listedFrom: Number.NEGATIVE_INFINITY,
  present: new Set(),
  provisional: new Set(),
};

export type WindowReason = 'missing' | 'provisional' | 'young' | 'requested' | 'forced';

export interface PlannedWindow {
  readonly start: number;
  readonly end: number;
  readonly key: string;
  readonly reason: WindowReason;
  /** Settled at `now`: written as final (its marker removed) rather than provisional. */
  readonly final: boolean;
  /** The lake held a provisional marker for it when the run was planned. */
  readonly hadMarker: boolean;
}

/** One query over a run of consecutive windows of one dataset. */
export interface PlannedFetch {
  readonly dataset: DatasetDefinition;
  readonly from: number;
  readonly to: number;
  readonly windows: readonly PlannedWindow[];
  /** API requests the query should take (the source splits it into API-legal ranges). */
  readonly requests: number;
  /** When the first window leaves the API's look-back; null when it never does. */
  readonly expiresAt: number | null;
}

export type GapReason = 'beyond-look-back' | 'beyond-catch-up-horizon' | 'provisional-beyond-look-back';

/** Consecutive windows that are missing (or stuck provisional) and that a run will not fetch. */
export interface Gap {
  readonly dataset: string;
  readonly start: number;
  readonly end: number;
  readonly windows: number;
  readonly reason: GapReason;
}

export interface RunPlan {
  readonly now: number;
  readonly prefix: string;
  readonly settleMs: number;
  /** In the order a run executes them: the windows closest to leaving the API's look-back first. */
  readonly fetches: readonly PlannedFetch[];
  readonly gaps: readonly Gap[];
  readonly windows: number;
  readonly requests: number;
}

interface Candidate {
  readonly start: number;
  readonly reason: WindowReason;
  readonly hadMarker: boolean;
}

function groupFetches(
  dataset: DatasetDefinition,
  prefix: string,
  now: number,
  settleMs: number,
  candidates: readonly Candidate[],
): PlannedFetch[] {
  const sorted = [...candidates].sort((a, b) => a.start - b.start);
  const { lookBackMs } = INTERVAL_LIMITS[dataset.interval];
  const fetches: PlannedFetch[] = [];
  let run: PlannedWindow[] = [];
  const close = () => {
    const first = run[0];
    const last = run[run.length - 1];
    if (first && last) {
      fetches.push({
        dataset,
        from: first.start,
        to: last.end,
        windows: run,
        // The same split the client makes, so the printed plan matches what a run sends.
        requests: splitQuery(exportRequestFor(dataset, first.start, last.end), { now }).length,
        expiresAt: lookBackMs === null ? null : first.start + lookBackMs,
      });
    }
    run = [];
  };
  for (const candidate of sorted) {
    const window = windowAt(dataset, candidate.start);
    const previous = run[run.length - 1];
    if (previous && previous.end !== window.start) close();
    run.push({
      start: window.start,
      end: window.end,
      key: objectKey(prefix, window),
      reason: candidate.reason,
      final: window.end <= now - settleMs,
      hadMarker: candidate.hadMarker,
    });
  }
  close();
  return fetches;
}

/** Turns gap window starts (ascending) into ranges of consecutive windows with one reason each. */
function groupGaps(
  dataset: DatasetDefinition,
  cadenceMs: number,
  starts: readonly { start: number; reason: GapReason }[],
): Gap[] {
  const gaps: Gap[] = [];
  for (const { start, reason } of [...starts].sort((a, b) => a.start - b.start)) {
    const last = gaps[gaps.length - 1];
    if (last && last.end === start && last.reason === reason) {
      gaps[gaps.length - 1] = { ...last, end: start + cadenceMs, windows: last.windows + 1 };
    } else {
      gaps.push({ dataset: dataset.name, start, end: start + cadenceMs, windows: 1, reason });
    }
  }
  return gaps;
}

function orderFetches(datasets: readonly DatasetDefinition[], fetches: PlannedFetch[]): PlannedFetch[] {
  const order = new Map(datasets.map((dataset, index) => [dataset.name, index]));
  return fetches.sort(
    (a, b) =>
      (a.expiresAt ?? Number.POSITIVE_INFINITY) - (b.expiresAt ?? Number.POSITIVE_INFINITY) ||
      (order.get(a.dataset.name) ?? 0) - (order.get(b.dataset.name) ?? 0) ||
      a.from - b.from,
  );
}

function finishPlan(
  now: number,
  prefix: string,
  settleMs: number,
  datasets: readonly DatasetDefinition[],
  fetches: PlannedFetch[],
  gaps: Gap[],
): RunPlan {
  const ordered = orderFetches(datasets, fetches);
  return {
    now,
    prefix,
    settleMs,
    fetches: ordered,
    gaps,
    windows: ordered.reduce((sum, fetch) => sum + fetch.windows.length, 0),
    requests: ordered.reduce((sum, fetch) => sum + fetch.requests, 0),
  };
}

export interface PlanRunInput extends RunPlanOptions {
  readonly datasets: readonly DatasetDefinition[];
  readonly now: number;
  readonly lake: LakeState;
}

/** The windows a scheduled run fetches, and the gaps it must report. */
export function planRun(input: PlanRunInput): RunPlan {
  const options = resolveRunPlanOptions(input);
  const { now, lake } = input;
  const fetches: PlannedFetch[] = [];
  const gaps: Gap[] = [];
  for (const dataset of input.datasets) {
    const state = lake.datasets.get(dataset.name) ?? EMPTY_DATASET_STATE;
    const reach = reachOf(dataset, now, options);
    const { cadenceMs } = reach;
    const youngAfter = now - options.settleMs;
    const candidates: Candidate[] = [];
    const gapStarts: { start: number; reason: GapReason }[] = [];

    const firstCatchUp = Math.max(reach.catchUpStart, state.listedFrom);
    for (let start = firstCatchUp; start < reach.completeEnd; start += cadenceMs) {
      const hadMarker = state.provisional.has(start);
      const reason: WindowReason | null = !state.present.has(start)
        ? 'missing'
        : hadMarker
          ? 'provisional'
          : start + cadenceMs > youngAfter
            ? 'young'
            : null;
      if (reason) candidates.push({ start, reason, hadMarker });
    }

    // Markers older than the catch-up range: fetch again while the API still serves the window,
    // otherwise the provisional numbers are stuck: reported for `gapReportMs`, like missing windows.
    const reportStuckFrom = stuckMarkerReportStart(reach, options);
    for (const start of state.provisional) {
      if (start >= firstCatchUp || start >= reach.completeEnd) continue;
      if (start >= reach.apiReach) candidates.push({ start, reason: 'provisional', hadMarker: true });
      else if (start >= reportStuckFrom) gapStarts.push({ start, reason: 'provisional-beyond-look-back' });
    }

    const floor = reach.sinceStart ?? state.firstWindowStart;
    if (floor !== null) {
      const gapEnd = Math.min(reach.catchUpStart, reach.completeEnd);
      for (let start = Math.max(floor, state.listedFrom); start < gapEnd; start += cadenceMs) {
        if (state.present.has(start) || state.provisional.has(start)) continue;
        gapStarts.push({
          start,
          reason: start < reach.apiReach ? 'beyond-look-back' : 'beyond-catch-up-horizon',
        });
      }
    }

    fetches.push(...groupFetches(dataset, lake.prefix, now, options.settleMs, candidates));
    gaps.push(...groupGaps(dataset, cadenceMs, gapStarts));
  }
  return finishPlan(now, lake.prefix, options.settleMs, input.datasets, fetches, gaps);
}

export interface PlanBackfillInput {
  readonly datasets: readonly DatasetDefinition[];
  readonly now: number;
  readonly lake: LakeState;
  /** Windows starting in [from, to) are wanted; both are aligned outwards to each dataset's cadence. */
  readonly from: number;
  readonly to: number;
  /** Fetch windows that are already final, too. */
  readonly force?: boolean;
  readonly settleMs?: number;
  readonly lookBackMarginMs?: number;
}

/**
 * The windows a backfill of [from, to) fetches: every complete window that is not final yet (all
 * of them with `force`). Windows the API no longer serves are gaps. Resumable by construction:
 * finished windows are final in the lake, so a second backfill skips them.
 */
export function planBackfill(input: PlanBackfillInput): RunPlan {
  checkBackfillRange(input);
  const options = resolveRunPlanOptions(input);
  const { now, lake } = input;
  const fetches: PlannedFetch[] = [];
  const gaps: Gap[] = [];
  for (const dataset of input.datasets) {
    const state = lake.datasets.get(dataset.name) ?? EMPTY_DATASET_STATE;
    const reach = reachOf(dataset, now, options);
    const { cadenceMs } = reach;
    const first = Math.max(Math.floor(input.from / cadenceMs) * cadenceMs, state.listedFrom);
    const end = Math.min(Math.ceil(input.to / cadenceMs) * cadenceMs, reach.completeEnd);
    const candidates: Candidate[] = [];
    const gapStarts: { start: number; reason: GapReason }[] = [];
    for (let start = first; start < end; start += cadenceMs) {
      const present = state.present.has(start);
      const hadMarker = state.provisional.has(start);
      const final = present && !hadMarker;
      if (start < reach.apiReach) {
        if (!final)
          gapStarts.push({ start, reason: present ? 'provisional-beyond-look-back' : 'beyond-look-back' });
        continue;
      }
      if (input.force) candidates.push({ start, reason: 'forced', hadMarker });
      else if (!present) candidates.push({ start, reason: 'requested', hadMarker });
      else if (hadMarker) candidates.push({ start, reason: 'provisional', hadMarker });
    }
    fetches.push(...groupFetches(dataset, lake.prefix, now, options.settleMs, candidates));
    gaps.push(...groupGaps(dataset, cadenceMs, gapStarts));
  }
  return finishPlan(now, lake.prefix, options.settleMs, input.datasets, fetches, gaps);
}
