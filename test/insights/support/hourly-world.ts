/**
 * A small audience whose hourly lake windows a watch test can build by hand: every (country, ISP,
 * browser, OS) segment has fixed bytes and offload, and an incident scales P2P on matching
 * segments while HTTP rises by as much, so delivered bytes stay as they were (as in the simulator).
 */
import { type Dimension, TIME } from '../../../lambdas/core/contract.ts';
import type { WatchHour, WatchWindow } from '../../../lambdas/core/insights/watch.ts';

interface Viewer {
  readonly country: string;
  readonly isp: string;
  readonly browser: string;
  readonly os: string;
  readonly bytes: number;
  readonly offload: number;
}

const ISPS: Record<string, readonly string[]> = {
  DE: ['Telekom', 'Vodafone', 'Cloud VPN'],
  FR: ['Orange', 'Free', 'Cloud VPN'],
  US: ['Comcast', 'Verizon', 'Cloud VPN'],
};
const CLIENTS = [
  { browser: 'Chrome', os: 'Windows', weight: 3, offload: 0.65 },
  { browser: 'Safari', os: 'iOS', weight: 2, offload: 0.5 },
];

export const VIEWERS: readonly Viewer[] = Object.entries(ISPS).flatMap(([country, isps]) =>
  isps.flatMap((isp, ispIndex) =>
    CLIENTS.map((client) => ({
      country,
      isp,
      browser: client.browser,
      os: client.os,
      bytes: 1e9 * client.weight * (ispIndex === 0 ? 4 : 2),
      offload: client.offload,
    })),
  ),
);

export interface Incident {
  readonly where: Partial<Pick<Viewer, 'country' | 'isp' | 'browser' | 'os'>>;
  readonly p2pFactor: number;
}

export const DATASETS: readonly { readonly dataset: string; readonly dimensions: readonly Dimension[] }[] = [
  { dataset: 'totals_1m', dimensions: [] },
  { dataset: 'by_country_1h', dimensions: ['country.code'] },
  { dataset: 'by_browser_os_1h', dimensions: ['browser.name', 'os.name'] },
  { dataset: 'by_country_isp_1h', dimensions: ['country.code', 'isp.name'] },
];

const FIELD: Record<Dimension, keyof Viewer | undefined> = {
  'country.code': 'country',
  'isp.name': 'isp',
  'browser.name': 'browser',
  'os.name': 'os',
  'city.name': undefined,
  'session.page': undefined,
};

export interface HourOptions {
  readonly incident?: Incident;
  /** Multiplies every segment's bytes: a quiet hour. */
  readonly scale?: number;
  /** Datasets whose window is not in the lake. */
  readonly missing?: readonly string[];
  /** A small deterministic wobble of offload, so days differ. */
  readonly wobble?: number;
}

export function hour(start: number, options: HourOptions = {}): WatchHour {
  const traffic = VIEWERS.map((viewer) => {
    const delivered = viewer.bytes * (options.scale ?? 1);
    let p2p = delivered * Math.min(1, viewer.offload + (options.wobble ?? 0));
    const { incident } = options;
    if (
      incident &&
      Object.entries(incident.where).every(([key, value]) => viewer[key as keyof Viewer] === value)
    ) {
      p2p *= incident.p2pFactor;
    }
    return { viewer, http: delivered - p2p, p2p };
  });
  const windows = DATASETS.map(({ dataset, dimensions }): WatchWindow => {
    if (options.missing?.includes(dataset)) return { dataset, dimensions, rows: null };
    const rows = traffic.map(({ viewer, http, p2p }) => ({
      values: dimensions.map((dimension) => viewer[FIELD[dimension] as keyof Viewer] as string),
      http,
      p2p,
    }));
    return { dataset, dimensions, rows };
  });
  return { start, windows };
}

/** The checked hour and its 7 baseline hours, each built with `options(daysBack)`. */
export function watchInput(current: number, options: (daysBack: number) => HourOptions = () => ({})) {
  return {
    current: hour(current, options(0)),
    baseline: Array.from({ length: 7 }, (_, index) =>
      hour(current - (index + 1) * TIME.DAY, options(index + 1)),
    ),
  };
}
