/**
 * A dataset is one named export definition. The same definition drives the API request, the CSV
 * header, the S3 layout (lake/layout.ts) and the Glue table, so everything about a dataset is
 * derived from here.
 */
import * as z from 'zod';
import {
  DIMENSIONS,
  type Dimension,
  type ExportRequest,
  type Filters,
  filtersSchema,
  INTERVAL_MS,
  type Interval,
  MAX_DIMENSIONS,
  METRICS,
  type Metric,
  TIME,
} from './contract.ts';
import { parseInstant } from './dates.ts';

export const CADENCES = ['hourly', 'daily'] as const;
export type Cadence = (typeof CADENCES)[number];

export const CADENCE_MS: Record<Cadence, number> = { hourly: TIME.HOUR, daily: TIME.DAY };

export interface DatasetDefinition {
  /** Lower snake case; also the Glue table name and the S3 folder. */
  readonly name: string;
  readonly description: string;
  readonly interval: Interval;
  readonly metrics: readonly Metric[];
  readonly dimensions: readonly Dimension[];
  readonly filters?: Filters;
  /** How often a window is closed and written: one object per hour or per UTC day. */
  readonly cadence: Cadence;
}

const DATASET_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * What a dataset's curated table (one Parquet file per day, lake/layout.ts CURATED_TABLES) adds to
 * the dataset's name, as its folder and Glue table. A dataset's own name may not end in it, so a
 * raw table and a curated table never share a name.
 */
export const CURATED_TABLE_SUFFIX = '_curated';

function distinct(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

export const datasetSchema = z
  .object({
    name: z
      .string()
      .regex(DATASET_NAME, 'must be lower snake case: a letter, then letters, digits or _ (at most 63)')
      .refine(
        (name) => !name.endsWith(CURATED_TABLE_SUFFIX),
        `must not end in "${CURATED_TABLE_SUFFIX}": that names the dataset's curated table`,
      ),
    description: z.string().default(''),
    interval: z.enum(Object.keys(INTERVAL_MS) as [Interval, ...Interval[]]),
    metrics: z
      .array(z.enum(METRICS))
      .min(1, 'must list at least one metric')
      .refine(distinct, 'must not list a metric twice'),
    dimensions: z
      .array(z.enum(DIMENSIONS))
      .max(MAX_DIMENSIONS, `allows at most ${MAX_DIMENSIONS} dimensions (an API limit)`)
      .refine(distinct, 'must not list a dimension twice')
      .default([]),
    filters: filtersSchema.optional(),
    cadence: z.enum(CADENCES),
  })
  // A misspelt key ("filter", "dimension") must fail, not quietly export an unsplit total.
  .strict()
  .superRefine((dataset, ctx) => {
    const bucket = INTERVAL_MS[dataset.interval];
    if (CADENCE_MS[dataset.cadence] % bucket !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `${dataset.cadence === 'hourly' ? 'an' : 'a'} ${dataset.cadence} dataset needs an interval that divides ${dataset.cadence === 'hourly' ? 'an hour' : 'a day'}; ${dataset.interval} does not`,
      });
    }
  });

export const datasetListSchema = z
  .array(datasetSchema)
  .min(1, 'must define at least one dataset')
  .refine((list) => distinct(list.map((d) => d.name)), 'dataset names must be unique');

export class DatasetDefinitionError extends Error {
  override readonly name = 'DatasetDefinitionError';

  /** The problems without the leading "Invalid dataset definition", for a message that names its own source. */
  readonly problems: string;

  constructor(problems: string) {
    super(`Invalid dataset definition: ${problems}`);
    this.problems = problems;
  }
}

/** Parses and checks dataset definitions, naming the dataset and field of the first error. */
export function parseDatasets(input: unknown, source = 'datasets'): DatasetDefinition[] {
  const result = datasetListSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [index, ...rest] = issue.path;
    const list = Array.isArray(input) ? input : [];
    const named =
      typeof index === 'number' && typeof list[index]?.name === 'string'
        ? `${source}[${index}] (${list[index].name})`
        : typeof index === 'number'
          ? `${source}[${index}]`
          : source;
    const field = rest
      .map((part) =>
        typeof part === 'number'
          ? `[${part}]`
          : /^\w+$/.test(String(part))
            ? `.${String(part)}`
            : `["${String(part)}"]`,
      )
      .join('');
    return `${named}${field}: ${issue.message}`;
  });
  throw new DatasetDefinitionError(problems.join('; '));
}

const ALL_METRICS: readonly Metric[] = METRICS;

/** The datasets a new deployment writes, chosen for an ops or business team. */
export const DEFAULT_DATASETS: readonly DatasetDefinition[] = parseDatasets([
  {
    name: 'totals_1m',
    description: 'All five metrics per minute, no split: incident forensics and fine-grained trends.',
    interval: '1m',
    metrics: ALL_METRICS,
    cadence: 'hourly',
  },
  {
    name: 'by_country_1h',
    description: 'Hourly metrics per viewer country.',
    interval: '1h',
    metrics: ALL_METRICS,
    dimensions: ['country.code'],
    cadence: 'hourly',
  },
  {
    name: 'by_browser_os_1h',
    description: 'Hourly metrics per browser and operating system: where P2P works and where it does not.',
    interval: '1h',
    metrics: ALL_METRICS,
    dimensions: ['browser.name', 'os.name'],
    cadence: 'hourly',
  },
  {
    name: 'by_country_isp_1h',
    description: 'Hourly metrics per country and ISP: offload by network.',
    interval: '1h',
    metrics: ALL_METRICS,
    dimensions: ['country.code', 'isp.name'],
    cadence: 'hourly',
  },
  {
    name: 'by_page_1d',
    description: 'Daily metrics per page URL: which content drives traffic and offload.',
    interval: '1d',
    metrics: ALL_METRICS,
    dimensions: ['session.page'],
    cadence: 'daily',
  },
]);

// ---------------------------------------------------------------------------------------------
// Columns: the CSV header and the Glue table schema.

export type ColumnType = 'bigint' | 'double' | 'string';

export interface Column {
  /** Athena-safe column name (`country_code`, not `country.code`). */
  readonly name: string;
  readonly type: ColumnType;
  /** The field of the API row this column comes from. */
  readonly source: 'timestamp' | Dimension | Metric;
}

/** Metrics that are whole numbers (bytes, milliseconds); `sessions` is an average. */
const METRIC_TYPES: Record<Metric, ColumnType> = {
  http: 'bigint',
  p2p: 'bigint',
  played: 'bigint',
  rebuffered: 'bigint',
  sessions: 'double',
};

export function columnName(field: string): string {
  return field.replace(/[^a-z0-9]+/gi, '_').toLowerCase();
}

/** The CSV columns, in order: timestamp (epoch ms), the dimensions, then the metrics. */
export function columnsOf(dataset: DatasetDefinition): Column[] {
  return [
    { name: 'timestamp', type: 'bigint', source: 'timestamp' },
    ...dataset.dimensions.map((d): Column => ({ name: columnName(d), type: 'string', source: d })),
    ...dataset.metrics.map((m): Column => ({ name: columnName(m), type: METRIC_TYPES[m], source: m })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Windows. Where a window's object lives is the lake's layout (lake/layout.ts).

/**
 * The first UTC day (`dt`) the lake holds. Athena's partition projection offers days from here on,
 * so a file of an earlier day would be written but never read; backfills refuse to start before it.
 * Daily data has no API look-back limit, so this must lie before any day Peer5 could have data for,
 * and 2015 is well before that. The price: a query without a `dt` condition also probes the empty
 * days from here on, which is why the saved queries filter on `dt`.
 */
export const LAKE_EPOCH = '2015-01-01';

/** `LAKE_EPOCH` as epoch milliseconds (its midnight UTC). */
export const LAKE_EPOCH_MS = parseInstant(LAKE_EPOCH) as number;

/** The rule a moment before `LAKE_EPOCH` breaks, as messages put it. */
export const LAKE_EPOCH_RULE = `must be on or after ${LAKE_EPOCH}, the first day the lake's tables show`;

/** A window is one cadence period of one dataset: the unit that is fetched and written whole. */
export interface Window {
  readonly dataset: DatasetDefinition;
  /** Inclusive start, epoch ms, aligned to the cadence in UTC. */
  readonly start: number;
  /** Exclusive end. */
  readonly end: number;
}

export function windowAt(dataset: DatasetDefinition, start: number): Window {
  const length = CADENCE_MS[dataset.cadence];
  if (start % length !== 0) {
    throw new RangeError(
      `window start ${new Date(start).toISOString()} is not aligned to ${dataset.cadence}`,
    );
  }
  return { dataset, start, end: start + length };
}

/** The API request that fetches [from, to) of a dataset. */
export function exportRequestFor(dataset: DatasetDefinition, from: number, to: number): ExportRequest {
  return {
    from,
    to,
    interval: dataset.interval,
    metrics: dataset.metrics,
    ...(dataset.dimensions.length > 0 ? { dimensions: dataset.dimensions } : {}),
    ...(dataset.filters ? { filters: dataset.filters } : {}),
  };
}
