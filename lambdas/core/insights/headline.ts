/**
 * The report's headline: which comparison leads, the biggest material change against it, and the
 * subject line that says so.
 *
 * Three baselines are compared with the report day:
 * - the same weekday last week (`sameWeekdayLastWeek`): traffic and offload follow a weekly rhythm,
 *   so a Monday is compared with a Monday. This one leads the subject, as the issue asks;
 * - the trailing 7 days (`trailing`): smoother, and it covers each weekday once, but it blends
 *   weekends into weekdays; it leads when last week's day is not available;
 * - the previous day (`previousDay`): the most recent, shown for continuity with the old report;
 *   it leads only when neither of the others is available.
 *
 * The subject then reads, in the style:
 *   Peer5 2026-11-30: offload 48.1% (−6.9 pts vs last Mon), ISP Acme DE explains 71%
 *   Peer5 2026-11-30: offload 55.0%, steady
 */

import { requireCalendarDate } from '../dates.ts';
import { compareFigures, type Figures } from '../report/figures.ts';
import { formatBytes, formatPercent, formatRebufferRatio } from '../report/format.ts';
import { addDays } from '../report/time.ts';
import type { Blame } from './blame.ts';
import {
  type AssessedChange,
  type AssessedComparison,
  assessComparison,
  biggestMaterialChange,
  CHANGE_DIGITS,
  DEFAULT_MATERIALITY,
  type Materiality,
  type MaterialMetric,
} from './materiality.ts';
import { percentChangeText, pointsChangeText, shareExplainedText } from './wording.ts';

/** In the order they lead the subject: the first one available leads. */
export const COMPARISONS = ['sameWeekdayLastWeek', 'trailing', 'previousDay'] as const;
export type ComparisonName = (typeof COMPARISONS)[number];

/** What every subject starts with. */
export const SUBJECT_BRAND = 'Peer5';

/** The metrics driver analysis can blame a segment for (segment data has no playback figures). */
export type BlamedMetric = Extract<MaterialMetric, 'offload' | 'delivered'>;

export interface HeadlineInput {
  /** The report day, YYYY-MM-DD. */
  readonly date: string;
  readonly day: Figures;
  /** Figures of each baseline; null or absent when it could not be had. */
  readonly baselines: Readonly<Partial<Record<ComparisonName, Figures | null>>>;
  /** @default DEFAULT_MATERIALITY */
  readonly materiality?: Materiality;
  /** The blame for each metric's change against each baseline, where drivers were computed. */
  readonly blames?: Readonly<Partial<Record<ComparisonName, Partial<Record<BlamedMetric, Blame | null>>>>>;
}

export interface Headline {
  readonly subject: string;
  /** The comparison the subject uses; null when there is none (or the day had no traffic). */
  readonly lead: ComparisonName | null;
  /** The biggest material change against `lead`; null on a steady day. */
  readonly leadChange: AssessedChange | null;
  /** Who the subject blames for `leadChange`; null when nobody is. */
  readonly blame: Blame | null;
  /** Every metric assessed against every baseline that was available, for colours and arrows. */
  readonly comparisons: Readonly<Partial<Record<ComparisonName, AssessedComparison>>>;
}

function hasTraffic(figures: Figures | null | undefined): figures is Figures {
  return figures !== null && figures !== undefined && figures.delivered > 0;
}

/** The first of `COMPARISONS` whose baseline had traffic. */
export function leadComparisonOf(baselines: HeadlineInput['baselines']): ComparisonName | null {
  return COMPARISONS.find((name) => hasTraffic(baselines[name])) ?? null;
}

function weekdayOf(date: string): string {
  const parsed = requireCalendarDate(date);
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: 'UTC' }).format(
    Date.UTC(parsed.year, parsed.month - 1, parsed.day),
  );
}

/** How a comparison is named after "vs": `last Mon`, `7-day avg`, `Sun` (the day before). */
export function comparisonLabel(name: ComparisonName, date: string): string {
  switch (name) {
    case 'sameWeekdayLastWeek':
      return `last ${weekdayOf(date)}`;
    case 'trailing':
      return '7-day avg';
    case 'previousDay':
      return weekdayOf(addDays(date, -1));
  }
}

/** `offload 48.1%`, `delivered 1.2 TiB`, `rebuffer 1.25%`. */
export function figureText(metric: MaterialMetric, day: Figures): string {
  switch (metric) {
    case 'offload':
      return `offload ${formatPercent(day.offload)}`;
    case 'delivered':
      return `delivered ${formatBytes(day.delivered)}`;
    case 'rebufferRatio':
      return `rebuffer ${formatRebufferRatio(day.rebufferRatio)}`;
  }
}

/** `−6.9 pts`, `−13.0%`, `+0.80 pts`; null without a change. */
export function assessedChangeText(assessed: AssessedChange): string | null {
  if (assessed.change.change === null) return null;
  return assessed.change.unit === 'pts'
    ? pointsChangeText(assessed.change.change, CHANGE_DIGITS[assessed.metric])
    : percentChangeText(assessed.change.change);
}

function blameFor(input: HeadlineInput, lead: ComparisonName, metric: MaterialMetric): Blame | null {
  if (metric !== 'offload' && metric !== 'delivered') return null;
  return input.blames?.[lead]?.[metric] ?? null;
}

export function buildHeadline(input: HeadlineInput): Headline {
  const materiality = input.materiality ?? DEFAULT_MATERIALITY;
  const prefix = `${SUBJECT_BRAND} ${input.date}:`;
  const comparisons: Partial<Record<ComparisonName, AssessedComparison>> = {};
  for (const name of COMPARISONS) {
    const baseline = input.baselines[name];
    if (hasTraffic(baseline))
      comparisons[name] = assessComparison(compareFigures(input.day, baseline), materiality);
  }
  if (!hasTraffic(input.day)) {
    return { subject: `${prefix} no traffic`, lead: null, leadChange: null, blame: null, comparisons };
  }
  const lead = leadComparisonOf(input.baselines);
  const assessed = lead === null ? undefined : comparisons[lead];
  if (lead === null || assessed === undefined) {
    return {
      subject: `${prefix} ${figureText('offload', input.day)}`,
      lead,
      leadChange: null,
      blame: null,
      comparisons,
    };
  }
  const leadChange = biggestMaterialChange(assessed);
  if (leadChange === null) {
    return {
      subject: `${prefix} ${figureText('offload', input.day)}, steady`,
      lead,
      leadChange,
      blame: null,
      comparisons,
    };
  }
  const blame = blameFor(input, lead, leadChange.metric);
  const figure = `${figureText(leadChange.metric, input.day)} (${assessedChangeText(leadChange)} vs ${comparisonLabel(lead, input.date)})`;
  const why = blame === null ? '' : `, ${blame.name} explains ${shareExplainedText(blame.shareExplained)}`;
  return { subject: `${prefix} ${figure}${why}`, lead, leadChange, blame, comparisons };
}
