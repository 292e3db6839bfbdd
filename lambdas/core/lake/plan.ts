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
import { INTERVAL_LIMITS, TIME } from '../contract.ts';
import {
  CADENCE_MS,
  type DatasetDefinition,
  exportRequestFor,
  LAKE_EPOCH_MS,
  LAKE_EPOCH_RULE,
  windowAt,
} from '../datasets.ts';
import { splitQuery } from '../query-split.ts';
import { objectKey } from './layout.ts';

export const DEFAULT_SETTLE_MS = 6 * TIME.HOUR;
export const DEFAULT_CATCH_UP_HORIZON_MS = 14 * TIME.DAY;
export const DEFAULT_LOOK_BACK_MARGIN_MS = 15 * TIME.MINUTE;
export const DEFAULT_GAP_REPORT_MS = TIME.DAY;

export interface RunPlanOptions {
  /** How long after a window ends its numbers may still grow; must exceed the API's late-data delay. */
  readonly settleMs?: number;
  /** For intervals the API serves without a look-back limit: how far back a run catches up. */
  readonly catchUpHorizonMs?: number;
  /** Windows before this are not wanted; windows after it that can no longer be fetched are gaps. */
  readonly since?: number;
  /**
   * A window whose start is within this much of the API's look-back edge is treated as out of
   * reach: the run's requests would land after the edge has moved past it.
   */
  readonly lookBackMarginMs?: number;
  /** How long after a gap forms runs keep reporting it (each run lists this much older history). */
  readonly gapReportMs?: number;
}

export interface ResolvedRunPlanOptions {
  readonly settleMs: number;
  readonly catchUpHorizonMs: number;
  readonly since: number | undefined;
  readonly lookBackMarginMs: number;
  readonly gapReportMs: number;
}

export class PlanOptionError extends Error {
  override readonly name = 'PlanOptionError';
}

function nonNegative(field: string, value: number | undefined, fallback: number, positive = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new PlanOptionError(
      `"${field}" must be a ${positive ? 'positive' : 'non-negative'} number of milliseconds, got ${value}`,
    );
  }
  return value;
}

export function resolveRunPlanOptions(options: RunPlanOptions = {}): ResolvedRunPlanOptions {
  if (options.since !== undefined && !Number.isSafeInteger(options.since)) {
    throw new PlanOptionError(`"since" must be an integer timestamp in milliseconds, got ${options.since}`);
  }
  return {
    settleMs: nonNegative('settleMs', options.settleMs, DEFAULT_SETTLE_MS, true),
    catchUpHorizonMs: nonNegative(
      'catchUpHorizonMs',
      options.catchUpHorizonMs,
      DEFAULT_CATCH_UP_HORIZON_MS,
      true,
    ),
    since: options.since,
    lookBackMarginMs: nonNegative('lookBackMarginMs', options.lookBackMarginMs, DEFAULT_LOOK_BACK_MARGIN_MS),
    gapReportMs: nonNegative('gapReportMs', options.gapReportMs, DEFAULT_GAP_REPORT_MS),
  };
}

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

/** The time edges that decide a dataset's windows at `now`. */
export interface DatasetReach {
  readonly cadenceMs: number;
  /** Windows starting before this are complete (their end is <= now). */
  readonly completeEnd: number;
  /** Oldest window start the API still serves (minus the margin); -Infinity without a look-back limit. */
  readonly apiReach: number;
  /** Oldest window start a run catches up to. */
  readonly catchUpStart: number;
  /** The first window of `since`, when set. */
  readonly sinceStart: number | undefined;
}

export function reachOf(
  dataset: DatasetDefinition,
  now: number,
  options: ResolvedRunPlanOptions,
): DatasetReach {
  const cadenceMs = CADENCE_MS[dataset.cadence];
  const align = (ms: number, up: boolean) =>
    (up ? Math.ceil(ms / cadenceMs) : Math.floor(ms / cadenceMs)) * cadenceMs;
  const { lookBackMs } = INTERVAL_LIMITS[dataset.interval];
  const completeEnd = align(now, false);
  const apiReach =
    lookBackMs === null ? Number.NEGATIVE_INFINITY : align(now - lookBackMs + options.lookBackMarginMs, true);
  // Every window that ends within the horizon.
  const horizon =
    lookBackMs === null ? align(now - options.catchUpHorizonMs, false) : Number.NEGATIVE_INFINITY;
  const sinceStart = options.since === undefined ? undefined : align(options.since, false);
  const catchUpStart = Math.max(apiReach, horizon, sinceStart ?? Number.NEGATIVE_INFINITY);
  return { cadenceMs, completeEnd, apiReach, catchUpStart, sinceStart };
}

/**
 * Where a run must start listing a dataset's objects: far enough back to catch up and to report
 * recent gaps, and no further, so listing cost does not grow with the lake's age. `readLakeState`
 * lists from here, and further back only when this first window is itself missing (a gap reaching
 * past the listed range).
 */
export function listingStartOf(
  dataset: DatasetDefinition,
  now: number,
  options: ResolvedRunPlanOptions,
  firstWindowStart: number | null,
): { readonly from: number; readonly floor: number | null } {
  const reach = reachOf(dataset, now, options);
  const floor = reach.sinceStart ?? firstWindowStart;
  if (floor === null) return { from: reach.catchUpStart, floor };
  const recent = Math.floor((reach.catchUpStart - options.gapReportMs) / reach.cadenceMs) * reach.cadenceMs;
  return { from: Math.min(reach.catchUpStart, Math.max(floor, recent)), floor };
}

/**
 * Oldest window whose provisional marker a run needs: every marker of a window the API still
 * serves (fetched again), and those that left its look-back within `gapReportMs` (reported, as a
 * missing window is). Older markers are stuck for good: they stay in the lake, since they tell
 * analysts the window holds provisional numbers, but reporting them on every run would keep the
 * Gaps alarm up forever, and listing them would cost more every hour.
 */
export function markerListingStartOf(
  dataset: DatasetDefinition,
  now: number,
  options: ResolvedRunPlanOptions,
): number {
  return stuckMarkerReportStart(reachOf(dataset, now, options), options);
}

function stuckMarkerReportStart(reach: DatasetReach, options: ResolvedRunPlanOptions): number {
  // Without a look-back limit every marker is fetched again until it is written settled.
  if (!Number.isFinite(reach.apiReach)) return Number.NEGATIVE_INFINITY;
  return Math.floor((reach.apiReach - options.gapReportMs) / reach.cadenceMs) * reach.cadenceMs;
}

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

export class BackfillRangeError extends Error {
  override readonly name = 'BackfillRangeError';
}

/**
 * The windows a backfill of [from, to) fetches: every complete window that is not final yet (all
 * of them with `force`). Windows the API no longer serves are gaps. Resumable by construction:
 * finished windows are final in the lake, so a second backfill skips them.
 */
export function planBackfill(input: PlanBackfillInput): RunPlan {
  if (!Number.isSafeInteger(input.from) || !Number.isSafeInteger(input.to) || input.from >= input.to) {
    throw new BackfillRangeError(
      `backfill range must have integer millisecond bounds with "from" before "to", got [${input.from}, ${input.to})`,
    );
  }
  if (input.from < LAKE_EPOCH_MS) {
    // Athena's partition projection starts there: earlier files would be written but never queried.
    const from = new Date(input.from);
    throw new BackfillRangeError(
      `backfill "from" ${LAKE_EPOCH_RULE}; got ${Number.isNaN(from.getTime()) ? input.from : from.toISOString()}`,
    );
  }
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

// -------------------------------------------------------------------------------------------------
// Printing a plan (the CLI's `plan` command).

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

const GAP_REASONS: Record<GapReason, string> = {
  'beyond-look-back': 'missing and older than the API look-back: lost for good',
  'beyond-catch-up-horizon': 'missing and older than the catch-up horizon: fetch it with a backfill',
  'provisional-beyond-look-back': 'holds provisional numbers and is older than the API look-back',
};

/** The plan as lines of text: what will be fetched, in how many requests, and every gap. */
export function describePlan(plan: RunPlan): string[] {
  const lines = [
    `Plan at ${stamp(plan.now)}: ${plural(plan.windows, 'window')} in ${plural(plan.fetches.length, 'query', 'queries')}, about ${plural(plan.requests, 'API request')}; ${plural(plan.gaps.length, 'gap')}.`,
  ];
  for (const fetch of plan.fetches) {
    const reasons = new Map<WindowReason, number>();
    for (const window of fetch.windows) reasons.set(window.reason, (reasons.get(window.reason) ?? 0) + 1);
    const why = [...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ');
    const finals = fetch.windows.filter((window) => window.final).length;
    lines.push(
      `  ${fetch.dataset.name} [${stamp(fetch.from)}, ${stamp(fetch.to)}): ${plural(fetch.windows.length, 'window')} (${why}; ${finals} settled), ${plural(fetch.requests, 'request')} at ${fetch.dataset.interval}`,
    );
  }
  for (const gap of plan.gaps) {
    lines.push(
      `  GAP ${gap.dataset} [${stamp(gap.start)}, ${stamp(gap.end)}): ${plural(gap.windows, 'window')} ${GAP_REASONS[gap.reason]}`,
    );
  }
  return lines;
}
