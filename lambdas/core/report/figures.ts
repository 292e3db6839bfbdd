/**
 * The report's figures and how two of them compare: ratios from bytes and milliseconds, the
 * rebuffer bands, and changes in points or percent. Kept apart from the summary so the insights
 * (drivers, headline) can use them without importing the summary that uses the insights.
 */

/** A segment must carry at least this share of the day's bytes to be listed as an offload drop. */
export const MIN_DROP_SHARE = 0.01;

export type RebufferBand = 'good' | 'acceptable' | 'concerning';

/** Rebuffer ratio bands, mildest first; `rebufferBandOf` says which side of each `upTo` a ratio falls. */
export const REBUFFER_BANDS: readonly { readonly band: RebufferBand; readonly upTo: number }[] = [
  { band: 'good', upTo: 0.01 },
  { band: 'acceptable', upTo: 0.03 },
  { band: 'concerning', upTo: Number.POSITIVE_INFINITY },
];

export function rebufferBandOf(ratio: number | null): RebufferBand | null {
  if (ratio === null) return null;
  const [good, acceptable] = REBUFFER_BANDS;
  if (good && ratio < good.upTo) return 'good';
  if (acceptable && ratio <= acceptable.upTo) return 'acceptable';
  return 'concerning';
}

/** p2p / (http + p2p), or null without traffic. */
export function offloadOf(http: number, p2p: number): number | null {
  const delivered = http + p2p;
  return delivered > 0 ? p2p / delivered : null;
}

/** rebuffered / (played + rebuffered), or null when nothing played. */
export function rebufferRatioOf(played: number, rebuffered: number): number | null {
  const watched = played + rebuffered;
  return watched > 0 ? rebuffered / watched : null;
}

export interface Figures {
  readonly http: number;
  readonly p2p: number;
  readonly delivered: number;
  readonly offload: number | null;
  readonly played: number;
  readonly rebuffered: number;
  readonly rebufferRatio: number | null;
  /** Time-weighted mean of the API's per-bucket averages; never a sum. */
  readonly averageSessions: number;
}

export interface Change {
  readonly current: number | null;
  readonly baseline: number | null;
  /** Percentage points for ratios, percent for volumes; null when there is nothing to compare. */
  readonly change: number | null;
  readonly unit: 'pts' | 'percent';
}

export interface Comparison {
  readonly offload: Change;
  readonly delivered: Change;
  readonly rebufferRatio: Change;
  readonly averageSessions: Change;
}

export function pointsChange(current: number | null, baseline: number | null): Change {
  const change = current !== null && baseline !== null ? (current - baseline) * 100 : null;
  return { current, baseline, change, unit: 'pts' };
}

export function percentChange(current: number, baseline: number): Change {
  const change = baseline > 0 ? ((current - baseline) / baseline) * 100 : null;
  return { current, baseline, change, unit: 'percent' };
}

export function compareFigures(current: Figures, baseline: Figures): Comparison {
  return {
    offload: pointsChange(current.offload, baseline.offload),
    delivered: percentChange(current.delivered, baseline.delivered),
    rebufferRatio: pointsChange(current.rebufferRatio, baseline.rebufferRatio),
    averageSessions: percentChange(current.averageSessions, baseline.averageSessions),
  };
}
