/**
 * The simulator's catalogue: the countries, cities, ISPs, browsers, OSes and pages segments are
 * drawn from, with the traits that shape their numbers, and the showcase segments every
 * population starts with. Data and lookups only; population.ts draws the segments.
 *
 * The catalogue deliberately includes the awkward values real exports carry (commas, double
 * quotes, non-ASCII text, long URLs with query strings, text starting with = + - @, markup inside
 * a URL, unknown values), so clients meet them in every local run.
 */

export interface CountryEntry {
  readonly code: string | null;
  readonly weight: number;
  /** Local time offset, so the evening peak moves around the globe. */
  readonly utcOffsetHours: number;
  /** Share of playback time spent rebuffering, before ISP and hourly variation. */
  readonly rebufferRatio: number;
  readonly cities: readonly (string | null)[];
  readonly isps: readonly (string | null)[];
}

/** Where viewers are: each country's share of them, its time zone and its rebuffering. */
const COUNTRY_TRAITS = [
  { code: 'US', weight: 30, utcOffsetHours: -5, rebufferRatio: 0.008 },
  { code: 'BR', weight: 12, utcOffsetHours: -3, rebufferRatio: 0.018 },
  { code: 'DE', weight: 9, utcOffsetHours: 1, rebufferRatio: 0.007 },
  { code: 'GB', weight: 8, utcOffsetHours: 0, rebufferRatio: 0.007 },
  { code: 'IN', weight: 8, utcOffsetHours: 5.5, rebufferRatio: 0.024 },
  { code: 'FR', weight: 7, utcOffsetHours: 1, rebufferRatio: 0.008 },
  { code: 'JP', weight: 7, utcOffsetHours: 9, rebufferRatio: 0.005 },
  { code: 'MX', weight: 4, utcOffsetHours: -6, rebufferRatio: 0.02 },
  { code: 'CH', weight: 3, utcOffsetHours: 1, rebufferRatio: 0.004 },
  { code: 'AT', weight: 2, utcOffsetHours: 1, rebufferRatio: 0.006 },
  { code: 'IL', weight: 2, utcOffsetHours: 2, rebufferRatio: 0.01 },
  // Viewers whose address could not be located at all.
  { code: null, weight: 2, utcOffsetHours: 0, rebufferRatio: 0.015 },
] as const;

/** A country by its code; `unlocated` for the viewers with no country. */
type CountryKey = NonNullable<(typeof COUNTRY_TRAITS)[number]['code']> | 'unlocated';

const CITIES: Readonly<Record<CountryKey, readonly (string | null)[]>> = {
  US: ['New York', 'Los Angeles', 'Chicago', 'Washington, D.C.', 'Houston', null],
  BR: ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte', null],
  DE: ['Berlin', 'München', 'Köln', 'Frankfurt am Main'],
  GB: ['London', 'Manchester', 'Birmingham'],
  IN: ['Mumbai', 'Delhi', 'Bengaluru', null],
  FR: ['Paris', 'Lyon', 'Marseille'],
  JP: ['東京', '大阪', '横浜'],
  MX: ['Ciudad de México', 'Guadalajara'],
  CH: ['Zürich', 'Genève', 'Basel'],
  AT: ['Wien', 'Graz'],
  IL: ['Tel Aviv-Yafo', 'Jerusalem', 'Haifa'],
  unlocated: [null],
};

const ISPS: Readonly<Record<CountryKey, readonly (string | null)[]>> = {
  US: ['Comcast', 'AT&T', 'Verizon Fios', 'Charter Spectrum', 'T-Mobile USA', '@Home Fiber'],
  BR: ['Vivo', 'Claro Brasil', 'Oi', 'TIM Brasil'],
  DE: ['Deutsche Telekom', 'Vodafone GmbH', '1&1 Versatel', 'O2 Germany'],
  GB: ['BT', 'Virgin Media', 'Sky Broadband', '-Dash Networks'],
  IN: ['Reliance Jio', 'Bharti Airtel', '+Plus Mobile'],
  FR: ['Orange', 'Free SAS', 'SFR', '=Net Telecom'],
  JP: ['NTT Docomo', 'KDDI', 'SoftBank'],
  MX: ['Telmex', 'Totalplay', 'Telcel'],
  CH: ['Swisscom', 'Sunrise', 'Salt Mobile'],
  AT: ['A1 Telekom Austria', 'Magenta Telekom', 'Kabel "Plus" GmbH, Wien'],
  IL: ['Bezeq', 'HOT', 'Partner'],
  unlocated: ['Cloudflare WARP', 'Corporate VPN', null],
};

/** The countries, most viewers first, each with its cities and ISPs. */
export const COUNTRIES: readonly CountryEntry[] = COUNTRY_TRAITS.map((traits) => ({
  ...traits,
  cities: CITIES[traits.code ?? 'unlocated'],
  isps: ISPS[traits.code ?? 'unlocated'],
}));

/** How an ISP changes offload: mobile networks and VPNs connect fewer peers, fibre more. */
export const ISP_OFFLOAD_FACTOR: Readonly<Record<string, number>> = {
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
export const MOBILE_ISPS = new Set(
  Object.entries(ISP_OFFLOAD_FACTOR)
    .filter(([, factor]) => factor < 0.9)
    .map(([name]) => name),
);

export interface BrowserEntry {
  readonly name: string | null;
  readonly weight: number;
  /** Share of bytes a browser gets from peers at average load. */
  readonly offload: number;
  readonly oses: readonly (string | null)[];
}

export const BROWSERS: readonly BrowserEntry[] = [
  { name: 'Chrome', weight: 45, offload: 0.74, oses: ['Windows', 'Android', 'macOS', 'Linux', 'Chrome OS'] },
  { name: 'Safari', weight: 20, offload: 0.4, oses: ['iOS', 'macOS'] },
  { name: 'Microsoft Edge', weight: 10, offload: 0.7, oses: ['Windows', 'macOS'] },
  { name: 'Firefox', weight: 8, offload: 0.66, oses: ['Windows', 'macOS', 'Linux', 'Android'] },
  { name: 'Samsung Internet', weight: 8, offload: 0.6, oses: ['Android'] },
  { name: 'Opera', weight: 4, offload: 0.68, oses: ['Windows', 'Android'] },
  // A user agent nobody could parse, from a TV or an embedded player.
  { name: null, weight: 2, offload: 0.5, oses: [null, 'Tizen'] },
];

export const MOBILE_OSES = new Set(['Android', 'iOS']);

const LONG_QUERY =
  'utm_source=partner_portal&utm_medium=referral&utm_campaign=world_cup_final_2026_highlights' +
  `&utm_content=hero_banner_variant_b&session=${'a1b2c3d4e5f6'.repeat(8)}` +
  '&ref=https%3A%2F%2Fpartner.example.org%2Fnews%3Fid%3D42';

/** Popular pages, most popular first. */
export const PAGES: readonly string[] = [
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
export const LONG_TAIL_PAGE_SHARE = 0.4;
export const LONG_TAIL_PAGE_IDS = 50_000;

export interface SegmentValues {
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

/** A showcase segment from its country code, city, ISP, browser, OS and index in PAGES. */
function showcase(
  code: string | null,
  city: string | null,
  isp: string | null,
  browserName: string | null,
  os: string | null,
  pageIndex: number,
): SegmentValues {
  return { country: country(code), city, isp, browser: browser(browserName), os, page: page(pageIndex) };
}

/**
 * The first segments of every population, always active: they guarantee that the awkward values
 * appear in every hour of every seed's data.
 */
export const SHOWCASE: readonly SegmentValues[] = [
  showcase('BR', 'São Paulo', 'Vivo', 'Chrome', 'Android', 0),
  showcase('CH', 'Zürich', 'Swisscom', 'Safari', 'macOS', 3),
  showcase('JP', '東京', 'NTT Docomo', 'Safari', 'iOS', 7),
  showcase('US', 'Washington, D.C.', '@Home Fiber', 'Firefox', 'Windows', 2),
  showcase('AT', 'Wien', 'Kabel "Plus" GmbH, Wien', 'Chrome', 'Windows', 5),
  showcase('FR', 'Paris', '=Net Telecom', 'Microsoft Edge', 'Windows', 4),
  showcase('IN', 'Mumbai', '+Plus Mobile', 'Samsung Internet', 'Android', 6),
  showcase('GB', 'London', '-Dash Networks', 'Chrome', 'macOS', 10),
  showcase('US', null, 'Comcast', 'Chrome', 'Windows', 1),
  showcase(null, null, null, null, null, 8),
  showcase('US', 'New York', 'Verizon Fios', 'Safari', 'iOS', 0),
];
