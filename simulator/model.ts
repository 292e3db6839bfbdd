/**
 * The numbers behind every export. Each segment has, per counter, a deterministic integer total
 * for every UTC hour, and inside an hour a smooth non-decreasing cumulative shape. A bucket's
 * value is the difference of the floored cumulative at its two ends, so values are whole numbers
 * and any bucketing adds up exactly: a coarse bucket is the sum of its fine buckets, a total is
 * the sum of its split. Sessions are session-milliseconds divided by the bucket length, so a
 * coarse bucket's sessions are the time-weighted mean of its fine buckets, within rounding.
 *
 * Late data: each hourly total is split into streams that arrive with different delays (now,
 * a quarter of the late-data delay, the full delay). At time `now` a stream only contributes
 * what happened before `now - its delay`. Every query at one `now` therefore agrees with every
 * other, while a recent bucket's numbers grow on later asks and settle once the delay has passed.
 */
import {
  type Dimension,
  type ExportRequest,
  type ExportRow,
  type Filters,
  INTERVAL_MS,
  isInterval,
  METRICS,
  type Metric,
  TIME,
} from '../lambdas/core/contract.ts';
import { hash, mix32, type Population, UINT32_RANGE } from './catalogue.ts';

/** What the model counts; `sessions` is derived from `sessionMs`. */
export const COUNTERS = ['http', 'p2p', 'played', 'rebuffered', 'sessionMs'] as const;
const COUNTER_COUNT = COUNTERS.length;
const HTTP = 0;
const P2P = 1;
const PLAYED = 2;
const REBUFFERED = 3;
const SESSION_MS = 4;

const { HOUR, DAY } = TIME;
const ANGULAR_SPEED = (2 * Math.PI) / DAY;
/** Traffic at the daily peak is 1 + swing times the average, at the trough 1 - swing. */
const DAILY_SWING = 0.6;
const WEEKEND_FACTOR = 1.15;
/** Offload falls off when fewer peers are online: at the trough it is this much lower. */
const OFFLOAD_LOAD_SENSITIVITY = 0.15;
const MAX_OFFLOAD = 0.95;
/** Inside an hour, traffic wobbles around a constant rate (amplitude < 1 keeps it increasing). */
const WOBBLE_CYCLES = 2;
const WOBBLE_AMPLITUDE = 0.6 / (2 * Math.PI * WOBBLE_CYCLES);

/**
 * Late data: each hourly total is split into three streams: the first arrives at once, the second
 * a quarter of the late-data delay later, the third after the whole delay. These are the shares
 * of the two late streams (the first takes the rest) and the delays as fractions of the delay.
 */
const LATE_SHARE_1 = 0.15;
const LATE_SHARE_2 = 0.05;
const LATE_STREAM_DELAYS = [0, 0.25, 1] as const;

const SALT = { volume: 0x5bd1e995, rebuffer: 0x27d4eb2f, wobble: 0x165667b1 } as const;

/** When the numbers are observed: at a time, or after all late data has arrived. */
export type AsOf = number | 'final';

interface Observation {
  /** Buckets that start at or after this are not returned. */
  readonly horizon: number;
  /** Per late-data stream: data for times before this has arrived. */
  readonly cutoffs: readonly number[];
  /** Data for times before this has fully arrived in every stream. */
  readonly settled: number;
}

function observationAt(asOf: AsOf, lateDataDelayMs: number): Observation {
  if (asOf === 'final') {
    return {
      horizon: Number.POSITIVE_INFINITY,
      cutoffs: LATE_STREAM_DELAYS.map(() => Infinity),
      settled: Infinity,
    };
  }
  const cutoffs = LATE_STREAM_DELAYS.map((share) => asOf - Math.round(share * lateDataDelayMs));
  return { horizon: asOf, cutoffs, settled: Math.min(...cutoffs) };
}

// ---------------------------------------------------------------------------------------------
// One segment, one hour.

/** What every segment's numbers for one hour share: the daily cycle at the hour's ends. */
interface HourContext {
  readonly index: number;
  readonly cosStart: number;
  readonly sinStart: number;
  readonly cosEnd: number;
  readonly sinEnd: number;
  readonly cosMiddle: number;
  readonly sinMiddle: number;
  readonly weekend: number;
}

function hourContext(index: number): HourContext {
  const start = ANGULAR_SPEED * index * HOUR;
  const end = ANGULAR_SPEED * (index + 1) * HOUR;
  const middle = ANGULAR_SPEED * (index + 0.5) * HOUR;
  const weekday = (Math.floor(index / 24) + 4) % 7; // 1970-01-01 was a Thursday; 0 is Sunday.
  return {
    index,
    cosStart: Math.cos(start),
    sinStart: Math.sin(start),
    cosEnd: Math.cos(end),
    sinEnd: Math.sin(end),
    cosMiddle: Math.cos(middle),
    sinMiddle: Math.sin(middle),
    weekend: weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1,
  };
}

/**
 * Writes the segment's five counters for one hour into `out` at `offset`; returns the wobble
 * phase of that hour, or NaN when the segment had no traffic at all.
 */
function hourTotals(
  population: Population,
  segment: number,
  hour: HourContext,
  out: Float64Array,
  offset: number,
) {
  // One hash per segment-hour; each further draw re-mixes it with its own salt.
  const draw = hash(population.seed, segment, hour.index);
  if (draw / UINT32_RANGE >= (population.activeShare[segment] ?? 0)) {
    out.fill(0, offset, offset + COUNTER_COUNT);
    return Number.NaN;
  }
  // Traffic rate = 1 + swing * sin(w t + phase); its integral over the hour, by the angle sums.
  const phaseCos = population.phaseCos[segment] ?? 0;
  const phaseSin = population.phaseSin[segment] ?? 0;
  const cosAtStart = hour.cosStart * phaseCos - hour.sinStart * phaseSin;
  const cosAtEnd = hour.cosEnd * phaseCos - hour.sinEnd * phaseSin;
  const integral = HOUR + (DAILY_SWING / ANGULAR_SPEED) * (cosAtStart - cosAtEnd);
  const load = hour.sinMiddle * phaseCos + hour.cosMiddle * phaseSin;
  const noise = 0.8 + (0.4 * mix32(draw ^ SALT.volume)) / UINT32_RANGE;

  const watchMs = Math.round((population.viewers[segment] ?? 0) * integral * hour.weekend * noise);
  const rebufferShare =
    (population.rebufferRatio[segment] ?? 0) * (0.5 + mix32(draw ^ SALT.rebuffer) / UINT32_RANGE);
  const rebuffered = Math.round(watchMs * rebufferShare);
  const played = watchMs - rebuffered;
  const sessionMs = watchMs + Math.round(watchMs * (population.pauseShare[segment] ?? 0));
  const bytes = Math.round(played * (population.bitrate[segment] ?? 0));
  const offload = Math.min(
    MAX_OFFLOAD,
    (population.offload[segment] ?? 0) * (1 - OFFLOAD_LOAD_SENSITIVITY + OFFLOAD_LOAD_SENSITIVITY * load),
  );
  const p2p = Math.round(bytes * offload);

  out[offset + HTTP] = bytes - p2p;
  out[offset + P2P] = p2p;
  out[offset + PLAYED] = played;
  out[offset + REBUFFERED] = rebuffered;
  out[offset + SESSION_MS] = sessionMs;
  return (2 * Math.PI * mix32(draw ^ SALT.wobble)) / UINT32_RANGE;
}

/** Share of an hour's traffic that happened before fraction `x` of the hour: 0 at 0, 1 at 1. */
function cumulativeShare(x: number, wobblePhase: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return (
    x + WOBBLE_AMPLITUDE * (Math.sin(2 * Math.PI * WOBBLE_CYCLES * x + wobblePhase) - Math.sin(wobblePhase))
  );
}

/** The floored part of `part` that happened before the cumulative `share` of the hour. */
function partBefore(part: number, share: number): number {
  return share === 1 ? part : Math.floor(part * share);
}

/**
 * Floored cumulative counters of one segment inside one hour, from the start of the hour to
 * fraction `x`, as observed: each late-data stream only counts up to its own cutoff `limits[j]`.
 * Each hourly total is split into the streams' parts (the late ones rounded down, the first
 * taking the rest, so the parts sum to the total).
 */
function observedWithinHour(
  totals: Float64Array,
  offset: number,
  wobblePhase: number,
  x: number,
  limits: readonly number[],
  out: Float64Array,
) {
  const position0 = Math.min(x, limits[0] ?? 0);
  const position1 = Math.min(x, limits[1] ?? 0);
  const position2 = Math.min(x, limits[2] ?? 0);
  const share0 = cumulativeShare(position0, wobblePhase);
  // Settled hours give every stream the same position: evaluate the shape once.
  const share1 = position1 === position0 ? share0 : cumulativeShare(position1, wobblePhase);
  const share2 = position2 === position1 ? share1 : cumulativeShare(position2, wobblePhase);
  for (let counter = 0; counter < COUNTER_COUNT; counter++) {
    const total = totals[offset + counter] ?? 0;
    const part1 = Math.floor(total * LATE_SHARE_1);
    const part2 = Math.floor(total * LATE_SHARE_2);
    out[counter] =
      partBefore(total - part1 - part2, share0) + partBefore(part1, share1) + partBefore(part2, share2);
  }
}

/** Each stream's cutoff as a fraction of the hour starting at `hourStart`, clamped to [0, 1]. */
function cutoffFractions(observation: Observation, hourStart: number): number[] {
  return observation.cutoffs.map((cutoff) => Math.min(1, Math.max(0, (cutoff - hourStart) / HOUR)));
}

// ---------------------------------------------------------------------------------------------
// Grouping segments by the requested dimensions.

/** The segments a request covers, grouped by its dimension values, groups in output order. */
export interface ResolvedExport {
  readonly dimensions: readonly Dimension[];
  /** Indices of the segments that pass the filters. */
  readonly members: Int32Array;
  /** Group of each member, by position in `members`. */
  readonly groupOf: Int32Array;
  /** Dimension values of each group, in request order; groups sorted as the API sorts rows. */
  readonly groups: readonly (readonly (string | null)[])[];
}

/**
 * Row order: by each dimension value in request order, an unknown (null) value first, strings by
 * UTF-16 code units (plain JavaScript string comparison).
 */
export function compareDimensionValues(a: readonly (string | null)[], b: readonly (string | null)[]): number {
  for (let index = 0; index < a.length; index++) {
    const left = a[index] ?? null;
    const right = b[index] ?? null;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}

function passesFilters(population: Population, segment: number, filters: Filters | undefined): boolean {
  if (!filters) return true;
  for (const [dimension, allowed] of Object.entries(filters) as [Dimension, readonly string[]][]) {
    const value = population.values[dimension][segment];
    if (value === null || value === undefined || !allowed.includes(value)) return false;
  }
  return true;
}

export function resolveExport(
  population: Population,
  dimensions: readonly Dimension[],
  filters: Filters | undefined,
): ResolvedExport {
  const selected: number[] = [];
  for (let segment = 0; segment < population.size; segment++) {
    if (passesFilters(population, segment, filters)) selected.push(segment);
  }
  const members = Int32Array.from(selected);
  const keyOf = (segment: number) => dimensions.map((d) => population.values[d][segment] ?? null);
  const byKey = new Map<string, (string | null)[]>();
  const memberKeys: string[] = [];
  for (const segment of members) {
    const values = keyOf(segment);
    const key = JSON.stringify(values);
    memberKeys.push(key);
    if (!byKey.has(key)) byKey.set(key, values);
  }
  // Without dimensions there is always one group, even when the filters match no segment.
  if (byKey.size === 0) byKey.set('[]', []);
  const sorted = [...byKey.entries()].sort(([, a], [, b]) => compareDimensionValues(a, b));
  const rank = new Map(sorted.map(([key], index) => [key, index]));
  const groupOf = Int32Array.from(memberKeys, (key) => rank.get(key) ?? 0);
  return { dimensions, members, groupOf, groups: sorted.map(([, values]) => values) };
}

// ---------------------------------------------------------------------------------------------
// Buckets.

/** One bucket's sums per group; the arrays are reused for the next bucket. */
export interface BucketSums {
  readonly timestamp: number;
  readonly lengthMs: number;
  /** `groups × COUNTERS.length` counters, group-major. */
  readonly sums: Float64Array;
}

export interface BucketQuery {
  readonly from: number;
  readonly to: number;
  readonly intervalMs: number;
}

/**
 * Walks the buckets of [from, to) that have started at `asOf`, summing every member segment
 * into its group. Memory depends on the number of segments, never on the number of buckets.
 */
export function* bucketSums(
  population: Population,
  plan: ResolvedExport,
  query: BucketQuery,
  asOf: AsOf,
  lateDataDelayMs: number,
): Generator<BucketSums> {
  const observation = observationAt(asOf, lateDataDelayMs);
  if (query.intervalMs < HOUR) {
    yield* subHourBuckets(population, plan, query, observation);
  } else {
    yield* wholeHourBuckets(population, plan, query, observation);
  }
}

function* wholeHourBuckets(
  population: Population,
  plan: ResolvedExport,
  query: BucketQuery,
  observation: Observation,
): Generator<BucketSums> {
  const sums = new Float64Array(plan.groups.length * COUNTER_COUNT);
  const totals = new Float64Array(COUNTER_COUNT);
  const observed = new Float64Array(COUNTER_COUNT);
  const { members, groupOf } = plan;
  for (let start = query.from; start < query.to && start < observation.horizon; start += query.intervalMs) {
    sums.fill(0);
    const stop = Math.min(start + query.intervalMs, observation.horizon);
    for (let hourStart = start; hourStart < stop; hourStart += HOUR) {
      const hour = hourContext(hourStart / HOUR);
      const settled = observation.settled >= hourStart + HOUR;
      const limits = settled ? null : cutoffFractions(observation, hourStart);
      for (let member = 0; member < members.length; member++) {
        const wobble = hourTotals(population, members[member] ?? 0, hour, totals, 0);
        if (Number.isNaN(wobble)) continue;
        const counts = limits ? observed : totals;
        if (limits) observedWithinHour(totals, 0, wobble, 1, limits, observed);
        const base = (groupOf[member] ?? 0) * COUNTER_COUNT;
        for (let counter = 0; counter < COUNTER_COUNT; counter++) {
          sums[base + counter] = (sums[base + counter] ?? 0) + (counts[counter] ?? 0);
        }
      }
    }
    yield { timestamp: start, lengthMs: query.intervalMs, sums };
  }
}

function* subHourBuckets(
  population: Population,
  plan: ResolvedExport,
  query: BucketQuery,
  observation: Observation,
): Generator<BucketSums> {
  const { members, groupOf } = plan;
  const sums = new Float64Array(plan.groups.length * COUNTER_COUNT);
  // Per member: this hour's totals, wobble phase, and the floored cumulative at the last boundary.
  const totals = new Float64Array(members.length * COUNTER_COUNT);
  const wobble = new Float64Array(members.length);
  const previous = new Float64Array(members.length * COUNTER_COUNT);
  const current = new Float64Array(COUNTER_COUNT);
  const settledLimits = LATE_STREAM_DELAYS.map(() => 1);

  let start = query.from;
  while (start < query.to && start < observation.horizon) {
    const hourStart = Math.floor(start / HOUR) * HOUR;
    const hour = hourContext(hourStart / HOUR);
    const limits =
      observation.settled >= hourStart + HOUR ? settledLimits : cutoffFractions(observation, hourStart);
    for (let member = 0; member < members.length; member++) {
      const phase = hourTotals(population, members[member] ?? 0, hour, totals, member * COUNTER_COUNT);
      wobble[member] = phase;
      if (Number.isNaN(phase)) {
        previous.fill(0, member * COUNTER_COUNT, (member + 1) * COUNTER_COUNT);
        continue;
      }
      observedWithinHour(totals, member * COUNTER_COUNT, phase, (start - hourStart) / HOUR, limits, current);
      previous.set(current, member * COUNTER_COUNT);
    }
    const hourEnd = Math.min(hourStart + HOUR, query.to);
    for (; start < hourEnd && start < observation.horizon; start += query.intervalMs) {
      sums.fill(0);
      const x = (start + query.intervalMs - hourStart) / HOUR;
      for (let member = 0; member < members.length; member++) {
        const phase = wobble[member] ?? Number.NaN;
        if (Number.isNaN(phase)) continue;
        const offset = member * COUNTER_COUNT;
        observedWithinHour(totals, offset, phase, x, limits, current);
        const base = (groupOf[member] ?? 0) * COUNTER_COUNT;
        for (let counter = 0; counter < COUNTER_COUNT; counter++) {
          const value = current[counter] ?? 0;
          sums[base + counter] = (sums[base + counter] ?? 0) + value - (previous[offset + counter] ?? 0);
          previous[offset + counter] = value;
        }
      }
      yield { timestamp: start, lengthMs: query.intervalMs, sums };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// From counters to the API's metrics.

/** Sessions: average concurrent sessions over the bucket, at most 3 decimals. */
export function sessionsOf(sessionMs: number, lengthMs: number): number {
  return Math.round((sessionMs / lengthMs) * 1000) / 1000;
}

/** A metric's value from a group's counters. */
export function metricValue(metric: Metric, sums: Float64Array, base: number, lengthMs: number): number {
  switch (metric) {
    case 'http':
      return sums[base + HTTP] ?? 0;
    case 'p2p':
      return sums[base + P2P] ?? 0;
    case 'played':
      return sums[base + PLAYED] ?? 0;
    case 'rebuffered':
      return sums[base + REBUFFERED] ?? 0;
    case 'sessions':
      return sessionsOf(sums[base + SESSION_MS] ?? 0, lengthMs);
  }
}

/** A group had activity in a bucket when any of its counters is above zero. */
export function hasActivity(sums: Float64Array, base: number): boolean {
  for (let counter = 0; counter < COUNTER_COUNT; counter++) {
    if ((sums[base + counter] ?? 0) > 0) return true;
  }
  return false;
}

/**
 * The groups of a bucket that become rows, in order: without dimensions the single group (zeros
 * included); with dimensions only groups with activity.
 */
export function* rowGroupsOf(plan: ResolvedExport, bucket: BucketSums): Generator<number> {
  const withDimensions = plan.dimensions.length > 0;
  for (let group = 0; group < plan.groups.length; group++) {
    if (!withDimensions || hasActivity(bucket.sums, group * COUNTER_COUNT)) yield group;
  }
}

export const COUNTERS_PER_GROUP = COUNTER_COUNT;

export class SimulatorRequestError extends Error {
  override readonly name = 'SimulatorRequestError';
}

/** Checks the shape `rows()` needs (the HTTP path checks the whole contract before this). */
export function checkModelRequest(request: ExportRequest): void {
  if (!isInterval(request.interval)) {
    throw new SimulatorRequestError(`"interval" must be one of ${Object.keys(INTERVAL_MS).join(', ')}`);
  }
  const length = INTERVAL_MS[request.interval];
  for (const field of ['from', 'to'] as const) {
    const value = request[field];
    if (!Number.isSafeInteger(value) || value % length !== 0) {
      throw new SimulatorRequestError(
        `"${field}" must be a whole multiple of the ${request.interval} interval`,
      );
    }
  }
  if (request.from >= request.to) throw new SimulatorRequestError('"to" must be greater than "from"');
  if (request.metrics.length === 0 || request.metrics.some((metric) => !METRICS.includes(metric))) {
    throw new SimulatorRequestError(`"metrics" must be a non-empty list of ${METRICS.join(', ')}`);
  }
}

/** The rows of a request as `ExportRow` objects, lazily, in the API's order. */
export function* exportRows(
  population: Population,
  request: ExportRequest,
  asOf: AsOf,
  lateDataDelayMs: number,
): Generator<ExportRow> {
  checkModelRequest(request);
  const dimensions = request.dimensions ?? [];
  const plan = resolveExport(population, dimensions, request.filters);
  const query = { from: request.from, to: request.to, intervalMs: INTERVAL_MS[request.interval] };
  for (const bucket of bucketSums(population, plan, query, asOf, lateDataDelayMs)) {
    for (const group of rowGroupsOf(plan, bucket)) {
      const values = plan.groups[group] ?? [];
      const base = group * COUNTER_COUNT;
      yield {
        timestamp: bucket.timestamp,
        dimensions: Object.fromEntries(dimensions.map((d, index) => [d, values[index] ?? null])),
        metrics: Object.fromEntries(
          request.metrics.map((metric) => [metric, metricValue(metric, bucket.sums, base, bucket.lengthMs)]),
        ),
      };
    }
  }
}
