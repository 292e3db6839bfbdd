/**
 * Words the HTML and the plain-text parts share: how a segment value, a change or a band is
 * described. Dimension values are free text from the field; these functions make them safe to
 * print on one line (markup escaping is the HTML renderer's job).
 */
import type { Dimension } from '../contract.ts';
import { lazily } from '../lazy.ts';
import { type Change, REBUFFER_BANDS, type RebufferBand } from './figures.ts';
import {
  formatBytes,
  formatPercent,
  formatPercentChange,
  formatPointsChange,
  formatRebufferRatio,
  formatSessions,
} from './format.ts';
import type { ReportSummary } from './summary.ts';

export const MAX_LABEL_LENGTH = 48;

/** An ISO 3166-1 alpha-2 country code, the form the API gives `country.code` in. */
export const COUNTRY_CODE = /^[A-Z]{2}$/;

const regionNames = lazily(() => new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }));

function countryName(code: string): string | undefined {
  if (!COUNTRY_CODE.test(code)) return undefined;
  try {
    return regionNames().of(code);
  } catch {
    return undefined;
  }
}

/** Control characters (a newline in an ISP name, say) would break a line of the email apart. */
function singleLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

function truncate(text: string, maxLength: number): string {
  const characters = [...text];
  return characters.length <= maxLength ? text : `${characters.slice(0, maxLength - 1).join('')}…`;
}

export interface SegmentLabel {
  readonly text: string;
  /** True for "Unknown": the API could not tell, which reads differently from a real name. */
  readonly unknown: boolean;
}

export function segmentLabel(dimension: Dimension, value: string | null): SegmentLabel {
  if (value === null || singleLine(value) === '') return { text: 'Unknown', unknown: true };
  const clean = singleLine(value);
  const name = dimension === 'country.code' ? countryName(clean) : undefined;
  return { text: truncate(name ? `${name} (${clean})` : clean, MAX_LABEL_LENGTH), unknown: false };
}

/** `under 1% is good, 1–3% acceptable, over 3% concerning`, written from `REBUFFER_BANDS`. */
export const REBUFFER_BANDS_TEXT = REBUFFER_BANDS.map(({ band, upTo }, index) => {
  const lower = REBUFFER_BANDS[index - 1]?.upTo;
  if (lower === undefined) return `under ${formatPercent(upTo, 0)} is ${band}`;
  if (upTo === Number.POSITIVE_INFINITY) return `over ${formatPercent(lower, 0)} ${band}`;
  return `${formatPercent(lower, 0).replace('%', '')}–${formatPercent(upTo, 0)} ${band}`;
}).join(', ');

/** Which direction of a change is good news. */
export type Polarity = 'higher-is-better' | 'lower-is-better' | 'neutral';

export type Tone = 'good' | 'bad' | 'neutral';

export function toneOf(change: number | null, polarity: Polarity): Tone {
  if (change === null || polarity === 'neutral') return 'neutral';
  const rounded = Number(change.toFixed(1));
  if (rounded === 0) return 'neutral';
  return rounded > 0 === (polarity === 'higher-is-better') ? 'good' : 'bad';
}

export function arrowOf(change: number | null): string {
  if (change === null) return '';
  const rounded = Number(change.toFixed(1));
  if (rounded > 0) return '▲';
  if (rounded < 0) return '▼';
  return '■';
}

/** `+1.4 pts`, `-3.2%`, or null when there is nothing to compare with. */
export function changeText(change: Change): string | null {
  if (change.change === null) return null;
  return change.unit === 'pts' ? formatPointsChange(change.change) : formatPercentChange(change.change);
}

export function trailingName(summary: ReportSummary): string {
  return `${summary.trailing?.days ?? 0}-day average`;
}

/** The headline figures, the same words in the subject, preheader and plain-text part. */
export function headline(summary: ReportSummary): {
  readonly offload: string;
  readonly delivered: string;
  readonly p2p: string;
  readonly http: string;
  readonly rebuffer: string;
  readonly band: RebufferBand | null;
  readonly sessions: string;
} {
  const { day } = summary;
  return {
    offload: formatPercent(day.offload),
    delivered: formatBytes(day.delivered),
    p2p: formatBytes(day.p2p),
    http: formatBytes(day.http),
    rebuffer: formatRebufferRatio(day.rebufferRatio),
    band: summary.rebufferBand,
    sessions: formatSessions(day.averageSessions),
  };
}

/** `19:00–20:00`, with the UTC offset on days the clocks change (when an hour can repeat). */
export function hourRange(summary: ReportSummary, index: number): string {
  const hour = summary.hours[index];
  if (hour === undefined) return '';
  const next = summary.hours[index + 1];
  const end = next ? next.label : '24:00';
  const offsets = new Set(summary.hours.map((entry) => entry.utcOffset));
  return offsets.size > 1 ? `${hour.label}–${end} (UTC${hour.utcOffset})` : `${hour.label}–${end}`;
}

/** The note shown when a :45 zone's midnight had to be rounded. */
export function approximationNote(summary: ReportSummary): string | null {
  const { approximation } = summary;
  if (approximation === null) return null;
  const minutes = Math.round(approximation.maxShiftMs / 60_000);
  return `${summary.timeZone}'s midnight is not on a boundary the API can query for a week back, so each day here starts and ends up to ${minutes} minute${minutes === 1 ? '' : 's'} from local midnight (rounded to ${approximation.interval} buckets).`;
}

export function dayLengthNote(summary: ReportSummary): string | null {
  if (summary.hoursInDay === 24) return null;
  return `This day had ${summary.hoursInDay} hours: the clocks changed in ${summary.timeZone}.`;
}
