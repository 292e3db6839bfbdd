/**
 * The offload watch's check: did offload in the last complete hour drop against its usual level,
 * and who is to blame? Pure: it is handed the lake's hourly windows, already read.
 *
 * - Baseline: the median offload of the same UTC hour on each of the previous 7 days. The median
 *   ignores one odd day (last Tuesday's incident) where a mean would not. The same UTC hour is
 *   used, so for a week after a DST change the baseline hours sit one local hour off; offload
 *   moves slowly across the day, so that costs little.
 * - Drop: (baseline − offload) in points, judged as shown (one decimal). It is an alert when it
 *   reaches `watchDropPts` (default 5).
 * - Quiet hours: the hour's delivered bytes over the median of the baseline hours' delivered bytes
 *   is its traffic share. Below `watchMinTrafficShare` (default 0.25) the hour's offload says
 *   little (a collapse of traffic, a window still filling), so the check is `too-quiet`, not an
 *   alert. So is an hour without traffic, or a baseline with traffic in fewer than 4 of 7 hours.
 * - Missing windows: the check needs every hour's totals (from a totals dataset, or else from any
 *   breakdown of the hour, since splits add up to the totals). When one cannot be had the outcome
 *   is `missing-data`, listing the windows, and nothing is guessed. A breakdown whose window is
 *   missing in any of the 8 hours is left out of the blame and listed in `unchecked`.
 * - Blame: every breakdown dataset gives its own dimensions and, for a pair, each of its two
 *   dimensions alone (ISP within country gives country, ISP, and the pair). Each is decomposed
 *   (drivers.ts) from the pooled baseline hours (each segment's bytes summed over the 7 hours, a
 *   steadier "usual" than any one day) to this hour, and blame.ts names the segment or pair. Its
 *   share explained is of that decomposition's change, current minus pooled baseline offload.
 */
import * as z from 'zod';
import { type Dimension, TIME } from '../contract.ts';
import { MAX_RECIPIENTS } from '../report/config.ts';
import { offloadOf } from '../report/figures.ts';
import { emailSchema } from '../settings/fields.ts';
import { type Blame, blame } from './blame.ts';
import { DEFAULT_MIN_SEGMENT_SHARE, decomposeOffload, type OffloadDecomposition } from './drivers.ts';
import {
  type BreakdownTraffic,
  breakdownKeyOf,
  deliveredOf,
  rollUp,
  type SegmentTraffic,
  type Traffic,
  totalTrafficOf,
} from './segments.ts';

export const BASELINE_DAYS = 7;
/** A baseline needs traffic in a majority of its hours. */
export const MIN_BASELINE_HOURS = 4;
export const DEFAULT_WATCH_DROP_PTS = 5;
export const DEFAULT_WATCH_MIN_TRAFFIC_SHARE = 0.25;

export const watchDropPtsSchema = z
  .number({ error: 'must be a number of percentage points, e.g. 5' })
  .positive('must be more than 0 percentage points, e.g. 5')
  .max(100, 'must be at most 100 percentage points')
  .default(DEFAULT_WATCH_DROP_PTS)
  .describe(
    'The offload watch alerts when the last complete hour’s offload is this many percentage points below the median of the same hour over the previous 7 days.',
  );

export const watchMinTrafficShareSchema = z
  .number({ error: 'must be a share from 0 to 1, e.g. 0.25' })
  .min(0, 'must be a share from 0 to 1, e.g. 0.25')
  .max(1, 'must be a share from 0 to 1, e.g. 0.25')
  .default(DEFAULT_WATCH_MIN_TRAFFIC_SHARE)
  .describe(
    'The offload watch only judges an hour that delivered at least this share of the usual bytes for that hour (the median of the previous 7 days), so quiet or half-filled hours do not alert.',
  );

export const watchRecipientsSchema = z
  .array(emailSchema('a recipient of the offload alerts'), { error: 'must be a list of email addresses' })
  .max(MAX_RECIPIENTS, `must list at most ${MAX_RECIPIENTS} recipients (one SES message)`)
  .optional()
  .describe(
    'Who gets the offload watch’s alert and recovered emails, sent from sender. Defaults to recipients; an empty list sends no email (the insights SNS topic still gets every message). On the command line: a comma-separated list or a JSON array.',
  );

export interface WatchSettings {
  readonly dropPts: number;
  readonly minTrafficShare: number;
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = {
  dropPts: DEFAULT_WATCH_DROP_PTS,
  minTrafficShare: DEFAULT_WATCH_MIN_TRAFFIC_SHARE,
};

/** One dataset's window of one hour, as read from the lake. */
export interface WatchWindow {
  readonly dataset: string;
  /** [] for a totals dataset such as `totals_1m`. */
  readonly dimensions: readonly Dimension[];
  /** The window's rows (several per segment are summed); null when it is not in the lake. */
  readonly rows: readonly SegmentTraffic[] | null;
}

export interface WatchHour {
  readonly start: number;
  readonly windows: readonly WatchWindow[];
}

export interface WatchInput {
  /** The hour checked, normally `watchHoursOf(now).current`. */
  readonly current: WatchHour;
  /** The same hour on each of the previous 7 days, in any order. */
  readonly baseline: readonly WatchHour[];
  /** @default DEFAULT_WATCH_SETTINGS */
  readonly settings?: WatchSettings;
}

export interface MissingWindow {
  readonly dataset: string;
  readonly hour: number;
}

export interface WatchFigures {
  /** The hour's offload; null without traffic. */
  readonly offload: number | null;
  /** Median offload of the baseline hours; null when too few had traffic. */
  readonly baselineOffload: number | null;
  /** (baseline − offload) in points, positive for a drop, rounded to one decimal as shown. */
  readonly dropPts: number | null;
  readonly delivered: number;
  /** Median delivered bytes of the baseline hours. */
  readonly baselineDelivered: number;
  /** delivered / baselineDelivered; null when the baseline delivered nothing. */
  readonly trafficShare: number | null;
  readonly thresholdPts: number;
}

interface Hour {
  readonly start: number;
  readonly end: number;
}

export type WatchCheck =
  | { readonly status: 'missing-data'; readonly hour: Hour; readonly missing: readonly MissingWindow[] }
  | {
      readonly status: 'too-quiet';
      readonly hour: Hour;
      readonly reason: string;
      readonly figures: WatchFigures;
    }
  | { readonly status: 'steady'; readonly hour: Hour; readonly figures: WatchFigures }
  | {
      readonly status: 'drop';
      readonly hour: Hour;
      readonly figures: WatchFigures;
      /** Null when no segment explains at least a quarter of the drop. */
      readonly blame: Blame | null;
      readonly decompositions: readonly OffloadDecomposition[];
      /** Breakdown windows that were missing, so their dimensions were not blamed. */
      readonly unchecked: readonly MissingWindow[];
    };

export class WatchInputError extends Error {
  override readonly name = 'WatchInputError';
}

/** The last complete UTC hour at `now`, and the same hour on each of the previous 7 days. */
export function watchHoursOf(now: number): {
  readonly current: number;
  readonly baseline: readonly number[];
} {
  const current = Math.floor(now / TIME.HOUR) * TIME.HOUR - TIME.HOUR;
  return {
    current,
    baseline: Array.from({ length: BASELINE_DAYS }, (_, index) => current - (index + 1) * TIME.DAY),
  };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function checkHours(input: WatchInput): void {
  const expected = watchHoursOf(input.current.start + TIME.HOUR).baseline;
  const given = input.baseline.map((hour) => hour.start).sort((a, b) => b - a);
  if (input.current.start % TIME.HOUR !== 0 || given.join() !== expected.join()) {
    throw new WatchInputError(
      `the baseline must be the same hour on each of the previous ${BASELINE_DAYS} days of ${new Date(input.current.start).toISOString()}; got ${given.map((t) => new Date(t).toISOString()).join(', ')}`,
    );
  }
}

function windowOf(hour: WatchHour, dataset: string): WatchWindow | undefined {
  return hour.windows.find((window) => window.dataset === dataset);
}

/** The hour's totals: a totals dataset's, else the first breakdown's sum; null when none was read. */
function totalsOf(hour: WatchHour): Traffic | null {
  const present = hour.windows.filter((window) => window.rows !== null);
  const source = present.find((window) => window.dimensions.length === 0) ?? present[0];
  return source?.rows ? totalTrafficOf(source.rows) : null;
}

function missingOf(hours: readonly WatchHour[], datasets: readonly WatchWindow[]): MissingWindow[] {
  return hours.flatMap((hour) =>
    datasets
      .filter((dataset) => (windowOf(hour, dataset.dataset)?.rows ?? null) === null)
      .map((dataset) => ({ dataset: dataset.dataset, hour: hour.start })),
  );
}

function pooled(hours: readonly WatchHour[], dataset: WatchWindow): BreakdownTraffic {
  return {
    dimensions: dataset.dimensions,
    rows: hours.flatMap((hour) => windowOf(hour, dataset.dataset)?.rows ?? []),
  };
}

/** Each breakdown dataset's own dimensions and, for a pair, each one alone; first source wins. */
function derivedBreakdowns(
  datasets: readonly WatchWindow[],
  current: WatchHour,
  baseline: readonly WatchHour[],
): { before: BreakdownTraffic; after: BreakdownTraffic }[] {
  const found = new Map<string, { before: BreakdownTraffic; after: BreakdownTraffic }>();
  const byFewestDimensions = [...datasets].sort((a, b) => a.dimensions.length - b.dimensions.length);
  for (const dataset of byFewestDimensions) {
    const before = pooled(baseline, dataset);
    const after = pooled([current], dataset);
    const views =
      dataset.dimensions.length === 2
        ? [[dataset.dimensions[0]], [dataset.dimensions[1]], dataset.dimensions]
        : [dataset.dimensions];
    for (const view of views as Dimension[][]) {
      const key = breakdownKeyOf(view);
      if (found.has(key)) continue;
      found.set(
        key,
        view.length === dataset.dimensions.length
          ? { before, after }
          : { before: rollUp(before, view), after: rollUp(after, view) },
      );
    }
  }
  return [...found.values()];
}

export function checkOffload(input: WatchInput): WatchCheck {
  checkHours(input);
  const settings = input.settings ?? DEFAULT_WATCH_SETTINGS;
  const hour = { start: input.current.start, end: input.current.start + TIME.HOUR };
  const hours = [input.current, ...input.baseline];
  const datasets = input.current.windows;

  const totals = hours.map(totalsOf);
  if (totals.some((traffic) => traffic === null)) {
    return {
      status: 'missing-data',
      hour,
      // Every missing window, not only those that blocked the verdict: ops fix them all at once.
      missing: missingOf(
        hours,
        datasets.length > 0 ? datasets : [{ dataset: 'totals', dimensions: [], rows: null }],
      ),
    };
  }
  const [currentTotals, ...baselineTotals] = totals as Traffic[];
  const current = currentTotals as Traffic;
  const offload = offloadOf(current.http, current.p2p);
  const baselineOffloads = baselineTotals.flatMap((traffic) => {
    const value = offloadOf(traffic.http, traffic.p2p);
    return value === null ? [] : [value];
  });
  const baselineOffload = baselineOffloads.length >= MIN_BASELINE_HOURS ? median(baselineOffloads) : null;
  const baselineDelivered = median(baselineTotals.map(deliveredOf)) ?? 0;
  const delivered = deliveredOf(current);
  const trafficShare = baselineDelivered > 0 ? delivered / baselineDelivered : null;
  const dropPts =
    offload === null || baselineOffload === null
      ? null
      : Number(((baselineOffload - offload) * 100).toFixed(1)) || 0;
  const figures: WatchFigures = {
    offload,
    baselineOffload,
    dropPts,
    delivered,
    baselineDelivered,
    trafficShare,
    thresholdPts: settings.dropPts,
  };

  const quiet = (reason: string): WatchCheck => ({ status: 'too-quiet', hour, reason, figures });
  if (offload === null) return quiet('the hour had no traffic');
  if (baselineOffload === null) {
    return quiet(`fewer than ${MIN_BASELINE_HOURS} of the ${BASELINE_DAYS} baseline hours had traffic`);
  }
  if (trafficShare === null || trafficShare < settings.minTrafficShare) {
    return quiet(
      `the hour delivered ${trafficShare === null ? 'bytes where the baseline delivered none' : `${Math.round(trafficShare * 100)}% of its usual bytes`}, under the ${Math.round(settings.minTrafficShare * 100)}% needed to judge it`,
    );
  }
  if (dropPts === null || dropPts < settings.dropPts) return { status: 'steady', hour, figures };

  const breakdownDatasets = datasets.filter((dataset) => dataset.dimensions.length > 0);
  const unchecked = missingOf(hours, breakdownDatasets);
  const complete = breakdownDatasets.filter(
    (dataset) => !unchecked.some((missing) => missing.dataset === dataset.dataset),
  );
  const decompositions = derivedBreakdowns(complete, input.current, input.baseline).flatMap(
    ({ before, after }) => decomposeOffload(before, after, { minShare: DEFAULT_MIN_SEGMENT_SHARE }) ?? [],
  );
  return {
    status: 'drop',
    hour,
    figures,
    blame: blame(decompositions),
    decompositions,
    unchecked,
  };
}
