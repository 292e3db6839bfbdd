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
import { TIME } from '../lambdas/core/contract.ts';
import { hash, mix32, UINT32_RANGE } from './hash.ts';
import type { Population } from './population.ts';

/** What the model counts; `sessions` is derived from `sessionMs`. */
export const COUNTERS = ['http', 'p2p', 'played', 'rebuffered', 'sessionMs'] as const;
export const COUNTER_COUNT = COUNTERS.length;
/** Where each counter is in a row of counters. */
export const HTTP = 0;
export const P2P = 1;
export const PLAYED = 2;
export const REBUFFERED = 3;
export const SESSION_MS = 4;

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
export const LATE_STREAM_DELAYS = [0, 0.25, 1] as const;

const SALT = { volume: 0x5bd1e995, rebuffer: 0x27d4eb2f, wobble: 0x165667b1 } as const;

/** When the numbers are observed: at a time, or after all late data has arrived. */
export type AsOf = number | 'final';

export interface Observation {
  /** Buckets that start at or after this are not returned. */
  readonly horizon: number;
  /** Per late-data stream: data for times before this has arrived. */
  readonly cutoffs: readonly number[];
  /** Data for times before this has fully arrived in every stream. */
  readonly settled: number;
}

export function observationAt(asOf: AsOf, lateDataDelayMs: number): Observation {
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

/** What every segment's numbers for one hour share: the daily cycle at the hour's ends. */
export interface HourContext {
  readonly index: number;
  readonly cosStart: number;
  readonly sinStart: number;
  readonly cosEnd: number;
  readonly sinEnd: number;
  readonly cosMiddle: number;
  readonly sinMiddle: number;
  readonly weekend: number;
}

export function hourContext(index: number): HourContext {
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
export function hourTotals(
  population: Population,
  segment: number,
  hour: HourContext,
  out: Float64Array,
  offset: number,
  /** A staged incident's scale of the P2P bytes (incidents.ts); the HTTP bytes take the rest. */
  p2pFactor = 1,
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
  const p2p = Math.round(bytes * offload * p2pFactor);

  out[offset + HTTP] = bytes - p2p;
  out[offset + P2P] = p2p;
  out[offset + PLAYED] = played;
  out[offset + REBUFFERED] = rebuffered;
  out[offset + SESSION_MS] = sessionMs;
  return (2 * Math.PI * mix32(draw ^ SALT.wobble)) / UINT32_RANGE;
}

/**
 * Share of an hour's traffic that happened before fraction `x` of the hour: 0 at 0, 1 at 1.
 * `wobbleSine` is `Math.sin(wobblePhase)`, which the caller computes once per segment-hour rather
 * than once per bucket (the same value, so the numbers do not change).
 */
function cumulativeShare(x: number, wobblePhase: number, wobbleSine: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return x + WOBBLE_AMPLITUDE * (Math.sin(2 * Math.PI * WOBBLE_CYCLES * x + wobblePhase) - wobbleSine);
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
export function observedWithinHour(
  totals: Float64Array,
  offset: number,
  wobblePhase: number,
  /** `Math.sin(wobblePhase)`: see cumulativeShare. */
  wobbleSine: number,
  x: number,
  limits: readonly number[],
  out: Float64Array,
) {
  const position0 = Math.min(x, limits[0] ?? 0);
  const position1 = Math.min(x, limits[1] ?? 0);
  const position2 = Math.min(x, limits[2] ?? 0);
  const share0 = cumulativeShare(position0, wobblePhase, wobbleSine);
  // Settled hours give every stream the same position: evaluate the shape once.
  const share1 = position1 === position0 ? share0 : cumulativeShare(position1, wobblePhase, wobbleSine);
  const share2 = position2 === position1 ? share1 : cumulativeShare(position2, wobblePhase, wobbleSine);
  for (let counter = 0; counter < COUNTER_COUNT; counter++) {
    const total = totals[offset + counter] ?? 0;
    const part1 = Math.floor(total * LATE_SHARE_1);
    const part2 = Math.floor(total * LATE_SHARE_2);
    out[counter] =
      partBefore(total - part1 - part2, share0) + partBefore(part1, share1) + partBefore(part2, share2);
  }
}

/** Each stream's cutoff as a fraction of the hour starting at `hourStart`, clamped to [0, 1]. */
export function cutoffFractions(observation: Observation, hourStart: number): number[] {
  return observation.cutoffs.map((cutoff) => Math.min(1, Math.max(0, (cutoff - hourStart) / HOUR)));
}
