/**
 * Segments of a breakdown: one value of a dimension (country DE) or of a pair of dimensions (ISP
 * Acme within country DE), the traffic each carried, and how a segment is named in a subject line
 * or an alert. Plain data in, plain data out: the report, the watch and the CLI all build these.
 */
import type { Dimension } from '../contract.ts';
import type { SegmentTotals } from '../report/gather.ts';
import { COUNTRY_CODE, segmentLabel } from '../report/labels.ts';
import { SEGMENT_NAMES } from '../report/scope.ts';

/** The bytes offload is computed from. */
export interface Traffic {
  readonly http: number;
  readonly p2p: number;
}

export interface Segment {
  readonly dimensions: readonly Dimension[];
  /** Aligned with `dimensions`; null where the API could not tell (an unlocated viewer, say). */
  readonly values: readonly (string | null)[];
}

/** One segment's traffic within a breakdown, its values aligned with the breakdown's dimensions. */
export interface SegmentTraffic extends Traffic {
  readonly values: readonly (string | null)[];
}

/** Traffic split by one dimension or a pair of them, e.g. the rows of `by_country_isp_1h`. */
export interface BreakdownTraffic {
  readonly dimensions: readonly Dimension[];
  readonly rows: readonly SegmentTraffic[];
}

export class SegmentInputError extends Error {
  override readonly name = 'SegmentInputError';
}

/** A map key for a segment's values within one breakdown. */
export function segmentKeyOf(values: readonly (string | null)[]): string {
  return JSON.stringify(values);
}

/** A stable name for a breakdown, e.g. `country.code×isp.name`. */
export function breakdownKeyOf(dimensions: readonly Dimension[]): string {
  return dimensions.join('×');
}

export function deliveredOf(traffic: Traffic): number {
  return traffic.http + traffic.p2p;
}

export function totalTrafficOf(rows: Iterable<Traffic>): Traffic {
  let http = 0;
  let p2p = 0;
  for (const row of rows) {
    http += row.http;
    p2p += row.p2p;
  }
  return { http, p2p };
}

function checkBytes(dimensions: readonly Dimension[], row: SegmentTraffic): void {
  if (row.values.length !== dimensions.length) {
    throw new SegmentInputError(
      `segment ${segmentKeyOf(row.values)} has ${row.values.length} values for the ${dimensions.length} dimensions ${breakdownKeyOf(dimensions)}`,
    );
  }
  for (const field of ['http', 'p2p'] as const) {
    const bytes = row[field];
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new SegmentInputError(
        `segment ${segmentKeyOf(row.values)} of ${breakdownKeyOf(dimensions)}: ${field} must be a finite number of bytes, at least 0; got ${bytes}`,
      );
    }
  }
}

/**
 * Sums the rows of each segment into one, so several hours (or a value listed twice) fold
 * together. Throws SegmentInputError on a row whose bytes are negative or not finite.
 */
export function foldSegments(
  dimensions: readonly Dimension[],
  rows: Iterable<SegmentTraffic>,
): Map<string, SegmentTraffic> {
  const folded = new Map<string, { values: readonly (string | null)[]; http: number; p2p: number }>();
  for (const row of rows) {
    checkBytes(dimensions, row);
    const key = segmentKeyOf(row.values);
    const entry = folded.get(key);
    if (entry === undefined) folded.set(key, { values: row.values, http: row.http, p2p: row.p2p });
    else {
      entry.http += row.http;
      entry.p2p += row.p2p;
    }
  }
  return folded;
}

/** The report's per-value totals of one dimension, as a breakdown. */
export function breakdownOfSegmentTotals(
  dimension: Dimension,
  totals: readonly SegmentTotals[],
): BreakdownTraffic {
  return {
    dimensions: [dimension],
    rows: totals.map((entry) => ({ values: [entry.value], http: entry.http, p2p: entry.p2p })),
  };
}

/**
 * The same traffic seen through some of its dimensions: ISP within country rolled up to ISP alone
 * sums each ISP over every country. Exact, because a pair's rows split the whole traffic.
 */
export function rollUp(breakdown: BreakdownTraffic, dimensions: readonly Dimension[]): BreakdownTraffic {
  const positions = dimensions.map((dimension) => {
    const position = breakdown.dimensions.indexOf(dimension);
    if (position < 0) {
      throw new SegmentInputError(
        `cannot roll ${breakdownKeyOf(breakdown.dimensions)} up to ${dimension}: it is not one of its dimensions`,
      );
    }
    return position;
  });
  const rows = [...foldSegments(breakdown.dimensions, breakdown.rows).values()].map((row) => ({
    values: positions.map((position) => row.values[position] ?? null),
    http: row.http,
    p2p: row.p2p,
  }));
  return { dimensions, rows: [...foldSegments(dimensions, rows).values()] };
}

/** True when `specific` is `general` narrowed further: (DE, Acme) refines DE and refines Acme. */
export function refines(specific: Segment, general: Segment): boolean {
  if (specific.dimensions.length <= general.dimensions.length) return false;
  return general.dimensions.every((dimension, index) => {
    const position = specific.dimensions.indexOf(dimension);
    return position >= 0 && specific.values[position] === general.values[index];
  });
}

/** What a dimension is called before its value: `ISP Acme`, `Country DE`. */
export const DIMENSION_NOUNS: Readonly<Record<Dimension, string>> = {
  'country.code': SEGMENT_NAMES['country.code'].singular,
  'browser.name': SEGMENT_NAMES['browser.name'].singular,
  'isp.name': SEGMENT_NAMES['isp.name'].singular,
  'os.name': 'OS',
  'city.name': 'City',
  'session.page': 'Page',
};

const COUNTRY: Dimension = 'country.code';

/** A value on one line, shortened, `Unknown` for null: the report's own label rules. */
function valueText(dimension: Dimension, value: string | null): string {
  if (dimension === COUNTRY && value !== null && COUNTRY_CODE.test(value)) return value;
  return segmentLabel(dimension, value).text;
}

function countryOf(segment: Segment): { readonly value: string | null; readonly other: number } | null {
  if (segment.dimensions.length !== 2) return null;
  const position = segment.dimensions.indexOf(COUNTRY);
  if (position < 0) return null;
  return { value: segment.values[position] ?? null, other: 1 - position };
}

function part(segment: Segment, index: number, text: (d: Dimension, v: string | null) => string): string {
  const dimension = segment.dimensions[index] as Dimension;
  return `${DIMENSION_NOUNS[dimension]} ${text(dimension, segment.values[index] ?? null)}`;
}

/**
 * The short name a subject line or an alert uses: `Country DE`, `ISP Acme`, `ISP Acme DE` (an ISP
 * within a country, as the example writes it), `Browser Chrome, OS Android`.
 */
export function segmentName(segment: Segment): string {
  const country = countryOf(segment);
  if (country !== null) {
    const where = country.value === null ? '(unknown country)' : valueText(COUNTRY, country.value);
    return `${part(segment, country.other, valueText)} ${where}`;
  }
  return segment.dimensions.map((_, index) => part(segment, index, valueText)).join(', ');
}

/** The longer name the email body uses: `ISP Acme in Germany (DE)`, `Country Germany (DE)`. */
export function segmentDescription(segment: Segment): string {
  const long = (dimension: Dimension, value: string | null) => segmentLabel(dimension, value).text;
  const country = countryOf(segment);
  if (country !== null) {
    const where = country.value === null ? 'an unknown country' : long(COUNTRY, country.value);
    return `${part(segment, country.other, long)} in ${where}`;
  }
  return segment.dimensions.map((_, index) => part(segment, index, long)).join(', ');
}
