/**
 * Whether a change is news. Each metric has a threshold in its own unit (offload and the rebuffer
 * ratio in percentage points, delivered bytes in percent); a change is material when the figure the
 * reader sees (rounded as it is shown) is at least that far from zero. Colour and arrows follow
 * materiality and the metric's good direction, not the sign alone: a 0.1-point offload dip is
 * "steady", a 13% fall of delivered bytes is "down-bad".
 */
import * as z from 'zod';
import type { Change, Comparison } from '../report/figures.ts';
import type { Polarity, Tone } from '../report/labels.ts';

export const MATERIAL_METRICS = ['offload', 'delivered', 'rebufferRatio'] as const;
export type MaterialMetric = (typeof MATERIAL_METRICS)[number];

export interface Materiality {
  /** Offload change, in percentage points, that is news. */
  readonly offloadPts: number;
  /** Delivered bytes change, in percent, that is news. */
  readonly deliveredPercent: number;
  /** Rebuffer ratio change, in percentage points, that is news. */
  readonly rebufferPts: number;
}

/**
 * Defaults: day-to-day offload moves by well under a point on a stable audience, so 2 points is a
 * real shift; delivered bytes swing a few percent between like weekdays, so 10% is; a rebuffer
 * ratio normally sits near 1%, where a quarter point is a quarter more stalling.
 */
export const DEFAULT_MATERIALITY: Materiality = { offloadPts: 2, deliveredPercent: 10, rebufferPts: 0.25 };

const positive = (unit: string, example: number) =>
  z
    .number({ error: `must be a number of ${unit}, e.g. ${example}` })
    .positive(`must be more than 0 ${unit}, e.g. ${example}`);

export const materialOffloadPtsSchema = positive('percentage points', DEFAULT_MATERIALITY.offloadPts)
  .max(100, 'must be at most 100 percentage points')
  .default(DEFAULT_MATERIALITY.offloadPts)
  .describe(
    'An offload change of at least this many percentage points is material: it can lead the report subject and is coloured.',
  );
export const materialDeliveredPercentSchema = positive('percent', DEFAULT_MATERIALITY.deliveredPercent)
  .default(DEFAULT_MATERIALITY.deliveredPercent)
  .describe(
    'A change of delivered bytes of at least this many percent is material: it can lead the report subject and is coloured.',
  );
export const materialRebufferPtsSchema = positive('percentage points', DEFAULT_MATERIALITY.rebufferPts)
  .max(100, 'must be at most 100 percentage points')
  .default(DEFAULT_MATERIALITY.rebufferPts)
  .describe(
    'A rebuffer ratio change of at least this many percentage points is material: it can lead the report subject and is coloured.',
  );

export function thresholdOf(metric: MaterialMetric, materiality: Materiality): number {
  switch (metric) {
    case 'offload':
      return materiality.offloadPts;
    case 'delivered':
      return materiality.deliveredPercent;
    case 'rebufferRatio':
      return materiality.rebufferPts;
  }
}

/**
 * Which direction is good news. More delivered bytes means more viewing, which is what a video
 * platform wants (the CDN bill it raises is what offload and the savings figures speak to).
 */
export const POLARITY: Readonly<Record<MaterialMetric, Polarity>> = {
  offload: 'higher-is-better',
  delivered: 'higher-is-better',
  rebufferRatio: 'lower-is-better',
};

/** Decimals each metric's change is shown with (and judged on). */
export const CHANGE_DIGITS: Readonly<Record<MaterialMetric, number>> = {
  offload: 1,
  delivered: 1,
  rebufferRatio: 2,
};

/** `steady` when the change is not material; `no-data` when there is nothing to compare with. */
export type FigureTone = 'up-good' | 'up-bad' | 'down-good' | 'down-bad' | 'steady' | 'no-data';

export interface AssessedChange {
  readonly metric: MaterialMetric;
  readonly change: Change;
  /** The change as shown (rounded to `CHANGE_DIGITS`), or null. */
  readonly shown: number | null;
  readonly material: boolean;
  /** |shown| / threshold: how many thresholds the change spans, to rank changes of unlike units. */
  readonly magnitude: number | null;
  readonly tone: FigureTone;
}

function toneFor(metric: MaterialMetric, shown: number | null, material: boolean): FigureTone {
  if (shown === null) return 'no-data';
  if (!material) return 'steady';
  const good = shown > 0 === (POLARITY[metric] === 'higher-is-better');
  if (shown > 0) return good ? 'up-good' : 'up-bad';
  return good ? 'down-good' : 'down-bad';
}

export function assessChange(
  metric: MaterialMetric,
  change: Change,
  materiality: Materiality = DEFAULT_MATERIALITY,
): AssessedChange {
  const threshold = thresholdOf(metric, materiality);
  const shown = change.change === null ? null : Number(change.change.toFixed(CHANGE_DIGITS[metric])) || 0;
  const magnitude = shown === null ? null : Math.abs(shown) / threshold;
  const material = magnitude !== null && magnitude >= 1;
  return { metric, change, shown, material, magnitude, tone: toneFor(metric, shown, material) };
}

export type AssessedComparison = Readonly<Record<MaterialMetric, AssessedChange>>;

export function assessComparison(
  comparison: Comparison,
  materiality: Materiality = DEFAULT_MATERIALITY,
): AssessedComparison {
  return {
    offload: assessChange('offload', comparison.offload, materiality),
    delivered: assessChange('delivered', comparison.delivered, materiality),
    rebufferRatio: assessChange('rebufferRatio', comparison.rebufferRatio, materiality),
  };
}

/** The colour a tone takes in the report's palette (`TONE_COLORS` in html.ts). */
export function colourToneOf(tone: FigureTone): Tone {
  if (tone === 'up-good' || tone === 'down-good') return 'good';
  if (tone === 'up-bad' || tone === 'down-bad') return 'bad';
  return 'neutral';
}

/** ▲ / ▼ for a material change, ■ for a steady one, nothing without data. */
export function arrowOfTone(tone: FigureTone): string {
  if (tone === 'up-good' || tone === 'up-bad') return '▲';
  if (tone === 'down-good' || tone === 'down-bad') return '▼';
  return tone === 'steady' ? '■' : '';
}

/** The biggest material change, by magnitude (ties: offload, then delivered, then rebuffer). */
export function biggestMaterialChange(assessed: AssessedComparison): AssessedChange | null {
  let best: AssessedChange | null = null;
  for (const metric of MATERIAL_METRICS) {
    const candidate = assessed[metric];
    if (!candidate.material) continue;
    if (best === null || (candidate.magnitude ?? 0) > (best.magnitude ?? 0)) best = candidate;
  }
  return best;
}
