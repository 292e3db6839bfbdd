/**
 * The simulator's population: a deterministic list of segments, each one combination of the six
 * dimension values with its own audience size, bitrate, offload and rebuffering. Every number the
 * simulator returns is a sum over these segments, so every query agrees with every other.
 */
import { DIMENSIONS, type Dimension } from '../lambdas/core/contract.ts';
import {
  BROWSERS,
  COUNTRIES,
  ISP_OFFLOAD_FACTOR,
  LONG_TAIL_PAGE_IDS,
  LONG_TAIL_PAGE_SHARE,
  MOBILE_ISPS,
  MOBILE_OSES,
  PAGES,
  type SegmentValues,
  SHOWCASE,
} from './catalogue.ts';
import { hash, pickFromList, pickWeighted, unit } from './hash.ts';

/**
 * Salts, so each attribute of a segment draws its own independent number. Negative, so they never
 * meet the (non-negative) hour indices the model hashes with the same seed and segment.
 */
const SALT = {
  country: -1,
  city: -2,
  isp: -3,
  browser: -4,
  os: -5,
  page: -6,
  pageTail: -7,
  size: -8,
  sizePair: -9,
  bitrate: -10,
  pause: -11,
} as const;

function randomSegment(seed: number, index: number): SegmentValues {
  const chosenCountry = pickWeighted(
    COUNTRIES.map((entry) => [entry, entry.weight] as const),
    unit(seed, index, SALT.country),
  );
  const city = pickFromList(chosenCountry.cities, unit(seed, index, SALT.city));
  const isp = pickFromList(chosenCountry.isps, unit(seed, index, SALT.isp));
  const chosenBrowser = pickWeighted(
    BROWSERS.map((entry) => [entry, entry.weight] as const),
    unit(seed, index, SALT.browser),
  );
  // Earlier entries of a browser's OS list are more common.
  const os = pickWeighted(
    chosenBrowser.oses.map((name, rank) => [name, 1 / (rank + 1)] as const),
    unit(seed, index, SALT.os),
  );
  const chosenPage =
    unit(seed, index, SALT.pageTail) < LONG_TAIL_PAGE_SHARE
      ? `https://video.example.com/watch?v=${(hash(seed, index, SALT.page) % LONG_TAIL_PAGE_IDS).toString(36)}&t=0`
      : pickWeighted(
          PAGES.map((value, rank) => [value, 1 / (rank + 1)] as const),
          unit(seed, index, SALT.page),
        );
  return { country: chosenCountry, city, isp, browser: chosenBrowser, os, page: chosenPage };
}

// ---------------------------------------------------------------------------------------------
// The population: flat arrays, because the model walks them millions of times.

/** Average concurrent viewers of the whole platform: a mid-size service, tens of TB a day. */
const AVERAGE_CONCURRENT_VIEWERS = 1_100;
/** Local hour of the evening peak. */
const PEAK_LOCAL_HOUR = 21;
const MAX_SEGMENT_COUNT = 1_000_000;
export const SEGMENT_LIMITS = { min: 1, max: MAX_SEGMENT_COUNT } as const;
export const DEFAULT_SEGMENTS = 2_000;

export interface Population {
  readonly seed: number;
  readonly size: number;
  /** The six dimension values of every segment, one array per dimension in DIMENSIONS order. */
  readonly values: Readonly<Record<Dimension, readonly (string | null)[]>>;
  /** Average concurrent viewers while active. */
  readonly viewers: Float64Array;
  /** Probability that the segment has any traffic in a given hour. */
  readonly activeShare: Float64Array;
  /** Bytes per millisecond of playback. */
  readonly bitrate: Float64Array;
  /** Offload at average load, from browser and ISP. */
  readonly offload: Float64Array;
  /** Rebuffering share of watch time, from country and network. */
  readonly rebufferRatio: Float64Array;
  /** Share of session time spent paused (counts in sessions, not in played). */
  readonly pauseShare: Float64Array;
  /**
   * Cosine and sine of the daily cycle's phase, which puts the peak at local 21:00: traffic
   * follows 1 + swing * sin(w t + phase), with w one turn a day.
   */
  readonly phaseCos: Float64Array;
  readonly phaseSin: Float64Array;
}

/**
 * Builds the population for a seed. Segment i has the same dimension values for any size larger
 * than i; audience sizes are scaled so the platform's total stays about the same at any size.
 */
export function buildPopulation(seed: number, size: number): Population {
  const values = Object.fromEntries(DIMENSIONS.map((d) => [d, new Array<string | null>(size)])) as Record<
    Dimension,
    (string | null)[]
  >;
  const weight = new Float64Array(size);
  const activeShare = new Float64Array(size);
  const bitrate = new Float64Array(size);
  const offload = new Float64Array(size);
  const rebufferRatio = new Float64Array(size);
  const pauseShare = new Float64Array(size);
  const phaseCos = new Float64Array(size);
  const phaseSin = new Float64Array(size);

  let weightedSum = 0;
  for (let index = 0; index < size; index++) {
    const showcase = SHOWCASE[index];
    const segment = showcase ?? randomSegment(seed, index);
    values['country.code'][index] = segment.country.code;
    values['city.name'][index] = segment.city;
    values['isp.name'][index] = segment.isp;
    values['browser.name'][index] = segment.browser.name;
    values['os.name'][index] = segment.os;
    values['session.page'][index] = segment.page;

    // Audience sizes are log-normal: a few big segments and a long tail of small ones.
    const u1 = Math.max(unit(seed, index, SALT.size), 1e-12);
    const u2 = unit(seed, index, SALT.sizePair);
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const w = showcase ? 3 : Math.exp(1.3 * normal);
    weight[index] = w;
    // Small segments go quiet for whole hours; big ones (and the showcase) almost never do.
    activeShare[index] = showcase ? 1 : 0.45 + 0.53 * (w / (w + 1));
    weightedSum += w * (activeShare[index] ?? 1);

    const mobile = segment.os !== null && MOBILE_OSES.has(segment.os);
    const ispFactor = segment.isp === null ? 0.9 : (ISP_OFFLOAD_FACTOR[segment.isp] ?? 1);
    const u3 = unit(seed, index, SALT.bitrate);
    bitrate[index] = mobile ? 180 + 220 * u3 : 350 + 400 * u3;
    offload[index] = Math.min(0.93, segment.browser.offload * ispFactor);
    const mobileNetwork = segment.isp !== null && MOBILE_ISPS.has(segment.isp);
    rebufferRatio[index] = segment.country.rebufferRatio * (mobileNetwork ? 1.5 : 1) * (mobile ? 1.2 : 1);
    pauseShare[index] = 0.03 + 0.1 * unit(seed, index, SALT.pause);
    const peakUtcHour = (((PEAK_LOCAL_HOUR - segment.country.utcOffsetHours) % 24) + 24) % 24;
    const phase = Math.PI / 2 - 2 * Math.PI * (peakUtcHour / 24);
    phaseCos[index] = Math.cos(phase);
    phaseSin[index] = Math.sin(phase);
  }

  const viewers = new Float64Array(size);
  const scale = AVERAGE_CONCURRENT_VIEWERS / weightedSum;
  for (let index = 0; index < size; index++) viewers[index] = (weight[index] ?? 0) * scale;

  return {
    seed,
    size,
    values,
    viewers,
    activeShare,
    bitrate,
    offload,
    rebufferRatio,
    pauseShare,
    phaseCos,
    phaseSin,
  };
}
