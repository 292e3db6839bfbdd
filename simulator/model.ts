/**
 * The model's answers: an export's buckets, each the sum of its member segments' counters per
 * group, and the API's metrics and rows from those sums. Memory depends on the number of
 * segments, never on the number of buckets. See segment-hours.ts for the numbers themselves.
 */
import {
  type ExportRequest,
  type ExportRow,
  INTERVAL_MS,
  isInterval,
  METRICS,
  type Metric,
  TIME,
} from '../lambdas/core/contract.ts';
import { type ResolvedExport, resolveExport } from './grouping.ts';
import { type IncidentPlan, NO_INCIDENTS } from './incidents.ts';
import type { Population } from './population.ts';
import {
  type AsOf,
  COUNTER_COUNT,
  cutoffFractions,
  HTTP,
  hourContext,
  hourTotals,
  LATE_STREAM_DELAYS,
  type Observation,
  observationAt,
  observedWithinHour,
  P2P,
  PLAYED,
  REBUFFERED,
  SESSION_MS,
} from './segment-hours.ts';

const { HOUR } = TIME;

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
  resolved: ResolvedExport,
  query: BucketQuery,
  asOf: AsOf,
  lateDataDelayMs: number,
  incidents: IncidentPlan = NO_INCIDENTS,
): Generator<BucketSums> {
  const observation = observationAt(asOf, lateDataDelayMs);
  if (query.intervalMs < HOUR) {
    yield* subHourBuckets(population, resolved, query, observation, incidents);
  } else {
    yield* wholeHourBuckets(population, resolved, query, observation, incidents);
  }
}

function* wholeHourBuckets(
  population: Population,
  resolved: ResolvedExport,
  query: BucketQuery,
  observation: Observation,
  incidents: IncidentPlan,
): Generator<BucketSums> {
  const sums = new Float64Array(resolved.groups.length * COUNTER_COUNT);
  const totals = new Float64Array(COUNTER_COUNT);
  const observed = new Float64Array(COUNTER_COUNT);
  const { members, groupOf } = resolved;
  for (let start = query.from; start < query.to && start < observation.horizon; start += query.intervalMs) {
    sums.fill(0);
    const stop = Math.min(start + query.intervalMs, observation.horizon);
    for (let hourStart = start; hourStart < stop; hourStart += HOUR) {
      const hour = hourContext(hourStart / HOUR);
      const settled = observation.settled >= hourStart + HOUR;
      const limits = settled ? null : cutoffFractions(observation, hourStart);
      for (let member = 0; member < members.length; member++) {
        const segment = members[member] ?? 0;
        const factor = incidents.p2pFactorAt(segment, hour.index);
        const wobble = hourTotals(population, segment, hour, totals, 0, factor);
        if (Number.isNaN(wobble)) continue;
        const counts = limits ? observed : totals;
        if (limits) observedWithinHour(totals, 0, wobble, Math.sin(wobble), 1, limits, observed);
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
  resolved: ResolvedExport,
  query: BucketQuery,
  observation: Observation,
  incidents: IncidentPlan,
): Generator<BucketSums> {
  const { members, groupOf } = resolved;
  const sums = new Float64Array(resolved.groups.length * COUNTER_COUNT);
  // Per member: this hour's totals, wobble phase and its sine, and the floored cumulative at the last
  // boundary.
  const totals = new Float64Array(members.length * COUNTER_COUNT);
  const wobble = new Float64Array(members.length);
  const wobbleSine = new Float64Array(members.length);
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
      const segment = members[member] ?? 0;
      const factor = incidents.p2pFactorAt(segment, hour.index);
      const phase = hourTotals(population, segment, hour, totals, member * COUNTER_COUNT, factor);
      wobble[member] = phase;
      if (Number.isNaN(phase)) {
        previous.fill(0, member * COUNTER_COUNT, (member + 1) * COUNTER_COUNT);
        continue;
      }
      const sine = Math.sin(phase);
      wobbleSine[member] = sine;
      observedWithinHour(
        totals,
        member * COUNTER_COUNT,
        phase,
        sine,
        (start - hourStart) / HOUR,
        limits,
        current,
      );
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
        observedWithinHour(totals, offset, phase, wobbleSine[member] ?? 0, x, limits, current);
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
export function* rowGroupsOf(resolved: ResolvedExport, bucket: BucketSums): Generator<number> {
  const withDimensions = resolved.dimensions.length > 0;
  for (let group = 0; group < resolved.groups.length; group++) {
    if (!withDimensions || hasActivity(bucket.sums, group * COUNTER_COUNT)) yield group;
  }
}

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
  incidents: IncidentPlan = NO_INCIDENTS,
): Generator<ExportRow> {
  checkModelRequest(request);
  const dimensions = request.dimensions ?? [];
  const resolved = resolveExport(population, dimensions, request.filters);
  const query = { from: request.from, to: request.to, intervalMs: INTERVAL_MS[request.interval] };
  for (const bucket of bucketSums(population, resolved, query, asOf, lateDataDelayMs, incidents)) {
    for (const group of rowGroupsOf(resolved, bucket)) {
      const values = resolved.groups[group] ?? [];
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
