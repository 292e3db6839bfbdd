/** What the bench runner and its per-case child processes share. */
import { TIME } from '../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets } from '../lambdas/core/datasets.ts';

export const BENCH_TOKEN = 'demo-token';

/**
 * The simulator of the benches that measure pacing (backfill.ts, catch-up.ts): few segments, so
 * that a request is short beside its share of the rate limit, and late data that settles soon.
 */
export const PACING_SIMULATOR = { segments: 12, seed: 1, lateDataDelayMs: 30 * TIME.MINUTE } as const;

/** The in-process pipeline's lake prefix: its tables sit at the lake root. */
export const BENCH_LAKE_PREFIX = '';

/** One minute buckets split by two high-cardinality dimensions: the heaviest export a lake writes. */
export const BENCH_DATASET_SETTING = {
  name: 'bench_city_page_1m',
  interval: '1m',
  metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
  dimensions: ['city.name', 'session.page'],
  cadence: 'hourly',
} as const;

export const BENCH_DATASET: DatasetDefinition = parseDatasets([
  BENCH_DATASET_SETTING,
])[0] as DatasetDefinition;

export interface CaseSettings {
  readonly kind: 'pipeline' | 'gzip' | 'naive' | 'api';
  readonly baseUrl: string;
  readonly now: number;
  readonly from: number;
  readonly to: number;
  /** Folder the case writes into. */
  readonly root: string;
  /** gzip case: the CSV to compress, and how many rows it holds. */
  readonly csvFile: string;
  readonly rows: number;
}

export interface CaseResult {
  readonly rows: number;
  readonly seconds: number;
  /** Compressed bytes written. */
  readonly outputBytes: number;
  /** Peak RSS by the kernel's VmHWM counter. */
  readonly maxRssMb: number;
}
