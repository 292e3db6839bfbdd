/**
 * Key-driver analysis: which segments of a breakdown explain a change of offload or of delivered
 * bytes between two periods ("before" and "after": last Monday and this Monday, or the usual hour
 * and this hour).
 *
 * Offload is a ratio, so its change has two causes per segment. With s the segment's share of
 * delivered bytes, c its offload, O the overall offload, primes for "after":
 *
 *   O′ − O = Σ (s′·c′ − s·c)                                   (the issue's formula)
 *          = Σ [ (s′ − s)·(c̄ − Ō) + s̄·(c′ − c) ]               c̄ = (c + c′)/2, s̄ = (s + s′)/2,
 *                  mix effect       rate effect                Ō = (O + O′)/2
 *
 * The second line equals the first because Σ (s′ − s) = 0 (both sides' shares sum to 1), so
 * subtracting Σ (s′ − s)·Ō changes no total. Measuring mix against Ō is what keeps a segment that
 * merely grew while having average offload from being credited: its c̄ − Ō is 0. A segment's
 * contribution is mix + rate (exactly: it is computed as that sum), and the contributions add up to
 * O′ − O up to floating-point rounding, within `decompositionTolerance`. The midpoints make the
 * split symmetric: swapping before and after negates every figure.
 *
 * A segment with traffic on one side only has share 0 and no offload on the other. Its offload is
 * taken to be the one side's, so its rate effect is 0 and all of it is mix: (s′ − s)·(c − Ō).
 *
 * Delivered bytes add up, so a segment's part of the change is simply d′ − d.
 *
 * Segments whose share is below `minShare` on both sides are summed into one `other` row. Named
 * rows keep the figures they would have without grouping.
 */
import { MIN_DROP_SHARE, offloadOf } from '../report/figures.ts';
import {
  type BreakdownTraffic,
  breakdownKeyOf,
  deliveredOf,
  foldSegments,
  type Segment,
  SegmentInputError,
  type SegmentTraffic,
  type Traffic,
  totalTrafficOf,
} from './segments.ts';

/** Segments below this share of delivered bytes on both sides are grouped (the report's own floor). */
export const DEFAULT_MIN_SEGMENT_SHARE = MIN_DROP_SHARE;
/**
 * Below this total change (0.05 pts of offload) percentages of the change would be noise divided
 * by almost nothing: drivers are still ranked, by size, but `shareExplained` is null.
 */
export const NEGLIGIBLE_OFFLOAD_CHANGE = 0.0005;
/** The same for delivered bytes: a change under 0.1% of the larger side's bytes. */
export const NEGLIGIBLE_DELIVERED_CHANGE = 0.001;

/**
 * How far the sum of contributions may be from the total change through floating-point rounding
 * alone: a few units in the last place per segment (every term is at most about 1 in size).
 */
export function decompositionTolerance(segmentCount: number): number {
  return 4 * (segmentCount + 4) * Number.EPSILON;
}

export interface DriverOptions {
  /** @default DEFAULT_MIN_SEGMENT_SHARE */
  readonly minShare?: number;
}

/** What every driver row has, whatever the metric: what `blame` reads. */
export interface DriverRow {
  /** The segment, or null for the row grouping the segments below the minimum share. */
  readonly segment: Segment | null;
  /** 1, or how many segments the grouped row stands for. */
  readonly segmentCount: number;
  /** The row's part of the change, in the metric's unit (offload fraction, or bytes). */
  readonly contribution: number;
  /**
   * contribution / change: 0.71 explains 71%; negative when the row moved against the change.
   * Null when the change is negligible.
   */
  readonly shareExplained: number | null;
}

export interface DriverSet<Row extends DriverRow = DriverRow> {
  readonly dimensions: Segment['dimensions'];
  readonly change: number;
  /** Named segments, the ones that explain most first; `other` is not among them. */
  readonly drivers: readonly Row[];
  readonly other: Row | null;
  /** change − Σ contributions: rounding only, within `decompositionTolerance`. */
  readonly residual: number;
}

export interface OffloadSide {
  readonly delivered: number;
  /** Share of the breakdown's delivered bytes on that side; 0 when the segment had none. */
  readonly share: number;
  /** Null when the segment had no traffic on that side. */
  readonly offload: number | null;
}

export interface OffloadDriver extends DriverRow {
  readonly before: OffloadSide;
  readonly after: OffloadSide;
  /** The part due to the segment's share of traffic moving: (s′ − s)·(c̄ − Ō). */
  readonly mix: number;
  /** The part due to the segment's own offload moving: s̄·(c′ − c). */
  readonly rate: number;
}

export interface OffloadDecomposition extends DriverSet<OffloadDriver> {
  readonly before: { readonly delivered: number; readonly offload: number };
  readonly after: { readonly delivered: number; readonly offload: number };
  /** Ō, the overall offload mix effects are measured against: the mean of both sides. */
  readonly reference: number;
}

export interface DeliveredDriver extends DriverRow {
  readonly before: number;
  readonly after: number;
}

export interface DeliveredDecomposition extends DriverSet<DeliveredDriver> {
  readonly before: number;
  readonly after: number;
  /** Percent change of delivered bytes; null when nothing was delivered before. */
  readonly changePercent: number | null;
}

interface Paired {
  readonly key: string;
  readonly values: SegmentTraffic['values'];
  readonly before: Traffic;
  readonly after: Traffic;
}

const NO_TRAFFIC: Traffic = { http: 0, p2p: 0 };

function pairUp(
  before: BreakdownTraffic,
  after: BreakdownTraffic,
): { dimensions: Segment['dimensions']; segments: Paired[] } {
  const dimensions = before.dimensions;
  if (breakdownKeyOf(dimensions) !== breakdownKeyOf(after.dimensions)) {
    throw new SegmentInputError(
      `cannot compare ${breakdownKeyOf(dimensions)} with ${breakdownKeyOf(after.dimensions)}: both sides need the same dimensions`,
    );
  }
  const beforeRows = foldSegments(dimensions, before.rows);
  const afterRows = foldSegments(dimensions, after.rows);
  const keys = [...new Set([...beforeRows.keys(), ...afterRows.keys()])].sort();
  const segments = keys.flatMap((key): Paired[] => {
    const b = beforeRows.get(key);
    const a = afterRows.get(key);
    const values = (a ?? b)?.values ?? [];
    const pair = { key, values, before: b ?? NO_TRAFFIC, after: a ?? NO_TRAFFIC };
    // A segment without traffic on either side has nothing to explain.
    return deliveredOf(pair.before) + deliveredOf(pair.after) > 0 ? [pair] : [];
  });
  return { dimensions, segments };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** -0 reads as "−0.0" when printed: every figure leaves as a plain 0. */
function plain(value: number): number {
  return value === 0 ? 0 : value;
}

function shareOf(delivered: number, total: number): number {
  return total > 0 ? delivered / total : 0;
}

/**
 * Most explaining first: by contribution in the direction of the change, or by size when the change
 * is negligible (or exactly 0); then more bytes after, then the segment key, so order is stable.
 */
function rank<Row extends DriverRow & { readonly key: string; readonly size: number }>(
  rows: Row[],
  change: number,
  explained: boolean,
): Row[] {
  const score = (row: Row) => (explained ? row.contribution * Math.sign(change) : Math.abs(row.contribution));
  return rows.sort(
    (a, b) => score(b) - score(a) || b.size - a.size || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function withoutRankKeys<Row>(rows: (Row & { key: string; size: number })[]): Row[] {
  return rows.map(({ key: _key, size: _size, ...row }) => row as Row);
}

function minShareOf(options: DriverOptions): number {
  const minShare = options.minShare ?? DEFAULT_MIN_SEGMENT_SHARE;
  if (!(minShare >= 0 && minShare <= 1)) {
    throw new RangeError(`minShare must be a share from 0 to 1; got ${minShare}`);
  }
  return minShare;
}

/** Why offload moved, segment by segment; null when either side had no traffic (no offload). */
export function decomposeOffload(
  before: BreakdownTraffic,
  after: BreakdownTraffic,
  options: DriverOptions = {},
): OffloadDecomposition | null {
  const minShare = minShareOf(options);
  const { dimensions, segments } = pairUp(before, after);
  const trafficBefore = totalTrafficOf(segments.map((segment) => segment.before));
  const trafficAfter = totalTrafficOf(segments.map((segment) => segment.after));
  const totalBefore = deliveredOf(trafficBefore);
  const totalAfter = deliveredOf(trafficAfter);
  const offloadBefore = offloadOf(trafficBefore.http, trafficBefore.p2p);
  const offloadAfter = offloadOf(trafficAfter.http, trafficAfter.p2p);
  if (offloadBefore === null || offloadAfter === null) return null;
  const change = plain(offloadAfter - offloadBefore);
  const reference = (offloadBefore + offloadAfter) / 2;
  const explained = Math.abs(change) >= NEGLIGIBLE_OFFLOAD_CHANGE;

  const named: (OffloadDriver & { key: string; size: number })[] = [];
  const grouped = { count: 0, mix: 0, rate: 0, before: { http: 0, p2p: 0 }, after: { http: 0, p2p: 0 } };
  for (const segment of segments) {
    const d = deliveredOf(segment.before);
    const dAfter = deliveredOf(segment.after);
    const s = shareOf(d, totalBefore);
    const sAfter = shareOf(dAfter, totalAfter);
    const c = offloadOf(segment.before.http, segment.before.p2p);
    const cAfter = offloadOf(segment.after.http, segment.after.p2p);
    // One side without traffic: its offload is taken from the other, so the move is all mix.
    const cb = (c ?? cAfter) as number;
    const ca = (cAfter ?? c) as number;
    const mix = plain((sAfter - s) * ((cb + ca) / 2 - reference));
    const rate = plain(((s + sAfter) / 2) * (ca - cb));
    if (Math.max(s, sAfter) < minShare) {
      grouped.count += 1;
      grouped.mix += mix;
      grouped.rate += rate;
      grouped.before.http += segment.before.http;
      grouped.before.p2p += segment.before.p2p;
      grouped.after.http += segment.after.http;
      grouped.after.p2p += segment.after.p2p;
      continue;
    }
    const contribution = mix + rate;
    named.push({
      key: segment.key,
      size: dAfter,
      segment: { dimensions, values: segment.values },
      segmentCount: 1,
      before: { delivered: d, share: s, offload: c },
      after: { delivered: dAfter, share: sAfter, offload: cAfter },
      mix,
      rate,
      contribution,
      shareExplained: explained ? contribution / change : null,
    });
  }
  let other: OffloadDriver | null = null;
  if (grouped.count > 0) {
    grouped.mix = plain(grouped.mix);
    grouped.rate = plain(grouped.rate);
    const contribution = grouped.mix + grouped.rate;
    const side = (traffic: Traffic, total: number): OffloadSide => ({
      delivered: deliveredOf(traffic),
      share: shareOf(deliveredOf(traffic), total),
      offload: offloadOf(traffic.http, traffic.p2p),
    });
    other = {
      segment: null,
      segmentCount: grouped.count,
      before: side(grouped.before, totalBefore),
      after: side(grouped.after, totalAfter),
      mix: grouped.mix,
      rate: grouped.rate,
      contribution,
      shareExplained: explained ? contribution / change : null,
    };
  }
  const drivers = withoutRankKeys<OffloadDriver>(rank(named, change, explained));
  return {
    dimensions,
    before: { delivered: totalBefore, offload: offloadBefore },
    after: { delivered: totalAfter, offload: offloadAfter },
    change,
    reference,
    drivers,
    other,
    residual: change - sum([...drivers, ...(other ? [other] : [])].map((row) => row.contribution)),
  };
}

/** Which segments moved delivered bytes, segment by segment. */
export function decomposeDelivered(
  before: BreakdownTraffic,
  after: BreakdownTraffic,
  options: DriverOptions = {},
): DeliveredDecomposition {
  const minShare = minShareOf(options);
  const { dimensions, segments } = pairUp(before, after);
  const totalBefore = sum(segments.map((s) => deliveredOf(s.before)));
  const totalAfter = sum(segments.map((s) => deliveredOf(s.after)));
  const change = totalAfter - totalBefore;
  const explained =
    Math.abs(change) >= NEGLIGIBLE_DELIVERED_CHANGE * Math.max(totalBefore, totalAfter) && change !== 0;

  const named: (DeliveredDriver & { key: string; size: number })[] = [];
  const grouped = { count: 0, before: 0, after: 0 };
  for (const segment of segments) {
    const d = deliveredOf(segment.before);
    const dAfter = deliveredOf(segment.after);
    if (Math.max(shareOf(d, totalBefore), shareOf(dAfter, totalAfter)) < minShare) {
      grouped.count += 1;
      grouped.before += d;
      grouped.after += dAfter;
      continue;
    }
    const contribution = dAfter - d;
    named.push({
      key: segment.key,
      size: dAfter,
      segment: { dimensions, values: segment.values },
      segmentCount: 1,
      before: d,
      after: dAfter,
      contribution,
      shareExplained: explained ? contribution / change : null,
    });
  }
  const other: DeliveredDriver | null =
    grouped.count === 0
      ? null
      : {
          segment: null,
          segmentCount: grouped.count,
          before: grouped.before,
          after: grouped.after,
          contribution: grouped.after - grouped.before,
          shareExplained: explained ? (grouped.after - grouped.before) / change : null,
        };
  const drivers = withoutRankKeys<DeliveredDriver>(rank(named, change, explained));
  return {
    dimensions,
    before: totalBefore,
    after: totalAfter,
    change,
    changePercent: totalBefore > 0 ? (change / totalBefore) * 100 : null,
    drivers,
    other,
    residual: change - sum([...drivers, ...(other ? [other] : [])].map((row) => row.contribution)),
  };
}
