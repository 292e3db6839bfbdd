/**
 * The simulator's population: a deterministic list of segments, each one combination of the six
 * dimension values with its own audience size, bitrate, offload and rebuffering. Every number the
 * simulator returns is a sum over these segments, so every query agrees with every other.
 *
 * The catalogue deliberately includes the awkward values real exports carry (commas, double
 * quotes, non-ASCII text, long URLs with query strings, text starting with = + - @, markup inside
 * a URL, unknown values), so clients meet them in every local run.
 */
import { DIMENSIONS, type Dimension } from '../lambdas/core/contract.ts';

// ---------------------------------------------------------------------------------------------
// Hashing: every random-looking choice is a pure function of (seed, segment, hour, salt).

export function mix32(value: number): number {
  let x = value | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit hash of three integers. */
export function hash(a: number, b: number, c: number): number {
  const h = mix32(a ^ 0x9e3779b9);
  return mix32(mix32(h ^ Math.imul(b | 0, 0x27d4eb2f)) ^ Math.imul(c | 0, 0x165667b1));
}

export const UINT32_RANGE = 4_294_967_296;

/** A uniform number in [0, 1) from a hash. */
export function unit(a: number, b: number, c: number): number {
  return hash(a, b, c) / UINT32_RANGE;
}

function pickWeighted<T>(entries: readonly (readonly [T, number])[], u: number): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let target = u * total;
  for (const [value, weight] of entries) {
    target -= weight;
    if (target < 0) return value;
  }
  const last = entries.at(-1);
  if (!last) throw new RangeError('pickWeighted needs at least one entry');
  return last[0];
}

// ---------------------------------------------------------------------------------------------
// The catalogue.

interface CountryEntry {
  readonly code: string | null;
  readonly weight: number;
  /** Local time offset, so the evening peak moves around the globe. */
  readonly utcOffsetHours: number;
  /** Share of playback time spent rebuffering, before ISP and hourly variation. */
  readonly rebufferRatio: number;
  readonly cities: readonly (string | null)[];
  readonly isps: readonly (string | null)[];
}

const COUNTRIES: readonly CountryEntry[] = [
  {
    code: 'US',
    weight: 30,
    utcOffsetHours: -5,
    rebufferRatio: 0.008,
    cities: ['New York', 'Los Angeles', 'Chicago', 'Washington, D.C.', 'Houston', null],
    isps: ['Comcast', 'AT&T', 'Verizon Fios', 'Charter Spectrum', 'T-Mobile USA', '@Home Fiber'],
  },
  {
    code: 'BR',
    weight: 12,
    utcOffsetHours: -3,
    rebufferRatio: 0.018,
    cities: ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte', null],
    isps: ['Vivo', 'Claro Brasil', 'Oi', 'TIM Brasil'],
  },
  {
    code: 'DE',
    weight: 9,
    utcOffsetHours: 1,
    rebufferRatio: 0.007,
    cities: ['Berlin', 'München', 'Köln', 'Frankfurt am Main'],
    isps: ['Deutsche Telekom', 'Vodafone GmbH', '1&1 Versatel', 'O2 Germany'],
  },
  {
    code: 'GB',
    weight: 8,
    utcOffsetHours: 0,
    rebufferRatio: 0.007,
    cities: ['London', 'Manchester', 'Birmingham'],
    isps: ['BT', 'Virgin Media', 'Sky Broadband', '-Dash Networks'],
  },
  {
    code: 'IN',
    weight: 8,
    utcOffsetHours: 5.5,
    rebufferRatio: 0.024,
    cities: ['Mumbai', 'Delhi', 'Bengaluru', null],
    isps: ['Reliance Jio', 'Bharti Airtel', '+Plus Mobile'],
  },
  {
    code: 'FR',
    weight: 7,
    utcOffsetHours: 1,
    rebufferRatio: 0.008,
    cities: ['Paris', 'Lyon', 'Marseille'],
    isps: ['Orange', 'Free SAS', 'SFR', '=Net Telecom'],
  },
  {
    code: 'JP',
    weight: 7,
    utcOffsetHours: 9,
    rebufferRatio: 0.005,
    cities: ['東京', '大阪', '横浜'],
    isps: ['NTT Docomo', 'KDDI', 'SoftBank'],
  },
  {
    code: 'MX',
    weight: 4,
    utcOffsetHours: -6,
    rebufferRatio: 0.02,
    cities: ['Ciudad de México', 'Guadalajara'],
    isps: ['Telmex', 'Totalplay', 'Telcel'],
  },
  {
    code: 'CH',
    weight: 3,
    utcOffsetHours: 1,
    rebufferRatio: 0.004,
    cities: ['Zürich', 'Genève', 'Basel'],
    isps: ['Swisscom', 'Sunrise', 'Salt Mobile'],
  },
  {
    code: 'AT',
    weight: 2,
    utcOffsetHours: 1,
    rebufferRatio: 0.006,
    cities: ['Wien', 'Graz'],
    isps: ['A1 Telekom Austria', 'Magenta Telekom', 'Kabel "Plus" GmbH, Wien'],
  },
  {
    code: 'IL',
    weight: 2,
    utcOffsetHours: 2,
    rebufferRatio: 0.01,
    cities: ['Tel Aviv-Yafo', 'Jerusalem', 'Haifa'],
    isps: ['Bezeq', 'HOT', 'Partner'],
  },
  {
    // Viewers whose address could not be located at all.
    code: null,
    weight: 2,
    utcOffsetHours: 0,
    rebufferRatio: 0.015,
    cities: [null],
    isps: ['Cloudflare WARP', 'Corporate VPN', null],
  },
];

/** How an ISP changes offload: mobile networks and VPNs connect fewer peers, fibre more. */
const ISP_OFFLOAD_FACTOR: Readonly<Record<string, number>> = {
  'T-Mobile USA': 0.8,
  'Claro Brasil': 0.8,
  'TIM Brasil': 0.8,
  'O2 Germany': 0.8,
  '+Plus Mobile': 0.75,
  'NTT Docomo': 0.8,
  SoftBank: 0.85,
  Telcel: 0.75,
  'Salt Mobile': 0.8,
  Partner: 0.85,
  'Corporate VPN': 0.3,
  'Cloudflare WARP': 0.5,
  'Verizon Fios': 1.1,
  'Free SAS': 1.1,
  Swisscom: 1.1,
  'Deutsche Telekom': 1.05,
  KDDI: 1.05,
};

/** Mobile networks rebuffer more. */
const MOBILE_ISPS = new Set(
  Object.entries(ISP_OFFLOAD_FACTOR)
    .filter(([, factor]) => factor < 0.9)
    .map(([name]) => name),
);

interface BrowserEntry {
  readonly name: string | null;
  readonly weight: number;
  /** Share of bytes a browser gets from peers at average load. */
  readonly offload: number;
  readonly oses: readonly (string | null)[];
}

const BROWSERS: readonly BrowserEntry[] = [
  { name: 'Chrome', weight: 45, offload: 0.74, oses: ['Windows', 'Android', 'macOS', 'Linux', 'Chrome OS'] },
  { name: 'Safari', weight: 20, offload: 0.4, oses: ['iOS', 'macOS'] },
  { name: 'Microsoft Edge', weight: 10, offload: 0.7, oses: ['Windows', 'macOS'] },
  { name: 'Firefox', weight: 8, offload: 0.66, oses: ['Windows', 'macOS', 'Linux', 'Android'] },
  { name: 'Samsung Internet', weight: 8, offload: 0.6, oses: ['Android'] },
  { name: 'Opera', weight: 4, offload: 0.68, oses: ['Windows', 'Android'] },
  // A user agent nobody could parse, from a TV or an embedded player.
  { name: null, weight: 2, offload: 0.5, oses: [null, 'Tizen'] },
];

const MOBILE_OSES = new Set(['Android', 'iOS']);

const LONG_QUERY =
  'utm_source=partner_portal&utm_medium=referral&utm_campaign=world_cup_final_2026_highlights' +
  `&utm_content=hero_banner_variant_b&session=${'a1b2c3d4e5f6'.repeat(8)}` +
  '&ref=https%3A%2F%2Fpartner.example.org%2Fnews%3Fid%3D42';

/** Popular pages, most popular first. */
const PAGES: readonly string[] = [
  'https://video.example.com/live/news',
  'https://video.example.com/live/sports?channel=1&lang=en',
  'https://video.example.com/watch?v=Qw3rTy&list=PLx9,featured&utm_source=newsletter&utm_medium=email&t=120',
  'https://video.example.com/vod/série-noire/épisode-3?quality=1080p',
  'https://video.example.com/search?q=<script>alert("p2p")</script>',
  'https://video.example.com/embed?title="Final, live"&autoplay=1',
  `https://video.example.com/watch?v=9xYz&${LONG_QUERY}`,
  'https://video.example.com/東京/ライブ',
  'https://video.example.com/live/kids',
  'https://video.example.com/vod/movies/the-long-night',
  '@studio/live?room=1',
];

/** Share of segments whose page is one of many individual videos rather than a popular page. */
const LONG_TAIL_PAGE_SHARE = 0.4;
const LONG_TAIL_PAGE_IDS = 50_000;

interface SegmentValues {
  readonly country: CountryEntry;
  readonly city: string | null;
  readonly isp: string | null;
  readonly browser: BrowserEntry;
  readonly os: string | null;
  readonly page: string;
}

function country(code: string | null): CountryEntry {
  const found = COUNTRIES.find((entry) => entry.code === code);
  if (!found) throw new RangeError(`the catalogue has no country ${String(code)}`);
  return found;
}

function browser(name: string | null): BrowserEntry {
  const found = BROWSERS.find((entry) => entry.name === name);
  if (!found) throw new RangeError(`the catalogue has no browser ${String(name)}`);
  return found;
}

function page(index: number): string {
  const found = PAGES[index];
  if (found === undefined) throw new RangeError(`the catalogue has no page ${index}`);
  return found;
}

/**
 * The first segments of every population, always active: they guarantee that the awkward values
 * appear in every hour of every seed's data.
 */
const SHOWCASE: readonly SegmentValues[] = [
  {
    country: country('BR'),
    city: 'São Paulo',
    isp: 'Vivo',
    browser: browser('Chrome'),
    os: 'Android',
    page: page(0),
  },
  {
    country: country('CH'),
    city: 'Zürich',
    isp: 'Swisscom',
    browser: browser('Safari'),
    os: 'macOS',
    page: page(3),
  },
  {
    country: country('JP'),
    city: '東京',
    isp: 'NTT Docomo',
    browser: browser('Safari'),
    os: 'iOS',
    page: page(7),
  },
  {
    country: country('US'),
    city: 'Washington, D.C.',
    isp: '@Home Fiber',
    browser: browser('Firefox'),
    os: 'Windows',
    page: page(2),
  },
  {
    country: country('AT'),
    city: 'Wien',
    isp: 'Kabel "Plus" GmbH, Wien',
    browser: browser('Chrome'),
    os: 'Windows',
    page: page(5),
  },
  {
    country: country('FR'),
    city: 'Paris',
    isp: '=Net Telecom',
    browser: browser('Microsoft Edge'),
    os: 'Windows',
    page: page(4),
  },
  {
    country: country('IN'),
    city: 'Mumbai',
    isp: '+Plus Mobile',
    browser: browser('Samsung Internet'),
    os: 'Android',
    page: page(6),
  },
  {
    country: country('GB'),
    city: 'London',
    isp: '-Dash Networks',
    browser: browser('Chrome'),
    os: 'macOS',
    page: page(10),
  },
  {
    country: country('US'),
    city: null,
    isp: 'Comcast',
    browser: browser('Chrome'),
    os: 'Windows',
    page: page(1),
  },
  { country: country(null), city: null, isp: null, browser: browser(null), os: null, page: page(8) },
  {
    country: country('US'),
    city: 'New York',
    isp: 'Verizon Fios',
    browser: browser('Safari'),
    os: 'iOS',
    page: page(0),
  },
];

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

function pickFromList<T>(values: readonly T[], u: number): T {
  return pickWeighted(
    values.map((value) => [value, 1] as const),
    u,
  );
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
