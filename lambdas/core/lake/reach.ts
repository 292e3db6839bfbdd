/**
 * How far a run reaches at `now`: the planning options and their defaults, the time edges of each
 * dataset (complete windows, the API's look-back, the catch-up horizon), and where listing the
 * lake must start so a run sees every window it could fetch or must report. Pure: no I/O, no clock.
 */
import { INTERVAL_LIMITS, TIME } from '../contract.ts';
import { CADENCE_MS, type DatasetDefinition } from '../datasets.ts';

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
 * lists from here; when this first window is itself missing (a gap reaching past the listed range)
 * it searches back for the window before the gap, in a few one-key probes, and reports from there.
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

/** Oldest window whose stuck marker (past the API's look-back) a run still reports as a gap. */
export function stuckMarkerReportStart(reach: DatasetReach, options: ResolvedRunPlanOptions): number {
  // Without a look-back limit every marker is fetched again until it is written settled.
  if (!Number.isFinite(reach.apiReach)) return Number.NEGATIVE_INFINITY;
  return Math.floor((reach.apiReach - options.gapReportMs) / reach.cadenceMs) * reach.cadenceMs;
}
