/**
 * Where the lake keeps its tables: the lake prefix, each table's folder, its Hive partition keys,
 * the key of each object, and the Glue partition projection that lets Athena find the objects
 * without listing them. The writer, the listing that reads the lake back, the IAM key patterns,
 * the Glue tables and the local query engine all derive from the descriptors here, so the layout
 * is written once:
 *
 *   <prefix>/<table folder>/dt=YYYY-MM-DD/hour=HH/<dataset>_YYYY-MM-DDTHH.csv.gz   (hourly)
 *   <prefix>/<table folder>/dt=YYYY-MM-DD/<dataset>_YYYY-MM-DD.csv.gz              (daily)
 *   <prefix>/<dataset>_curated/dt=YYYY-MM-DD/<dataset>_YYYY-MM-DD.parquet          (curated)
 *
 * A partition key says how its value comes from a window start, which values it takes, and how
 * Athena projects it. A table layout says which keys a dataset's table has, where the table's
 * folder is and how its objects end, so a second family of tables (one file per day, say) is a
 * new `TableLayout` of a few lines.
 */
import { TIME } from '../contract.ts';
import { CURATED_TABLE_SUFFIX, type DatasetDefinition, LAKE_EPOCH, type Window } from '../datasets.ts';
import { CALENDAR_DATE_FORM, parseInstant, utcDateOf } from '../dates.ts';

// ---------------------------------------------------------------------------------------------
// The lake prefix.

/**
 * The lake's key prefix (the `prefix` setting, and the path of an `s3://bucket/prefix` lake):
 * segments split by `/`. A `.` or `..` segment would pass S3 but no lake key may contain one
 * (`checkLakeKey`), so every window would fail: such a prefix is refused where it is set.
 */
export const LAKE_PREFIX = /^(?!\.\.?(?:\/|$))(?!.*\/\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
export const LAKE_PREFIX_RULE =
  'must be a key prefix such as "peer5" or "analytics/peer5": segments of letters, digits, "_", "." and "-" split by "/", without a leading or trailing "/" and without "." or ".." segments';

/** A prefix that is neither empty (a local lake's) nor of the `LAKE_PREFIX` form. */
export class LakePrefixError extends Error {
  override readonly name = 'LakePrefixError';
}

/**
 * A key (or folder) under the lake prefix, joined the same way as every table's keys. The prefix
 * is empty (the root of a folder or bucket) or of the `LAKE_PREFIX` form; anything else is a bug
 * in the caller, since every place a prefix is set checks that rule.
 */
export function lakeKey(prefix: string, rest: string): string {
  if (prefix === '') return rest;
  if (!LAKE_PREFIX.test(prefix)) {
    throw new LakePrefixError(`lake prefix ${JSON.stringify(prefix)} ${LAKE_PREFIX_RULE}`);
  }
  return `${prefix}/${rest}`;
}

// ---------------------------------------------------------------------------------------------
// Partition keys.

/** One Hive partition key: the folder `<name>=<value>` of every object's key. */
export interface PartitionKeyLayout {
  /** The folder's name before `=`, and the partition column of the Glue table. */
  readonly name: string;
  /** The Glue type of the partition column: Athena compares the value as text. */
  readonly type: 'string';
  /** The key's value for a window (or day) starting at `start`, UTC. */
  valueOf(start: number): string;
  /** Every value `valueOf` returns matches this, and nothing else it could return does. */
  readonly pattern: RegExp;
  /**
   * What a value stands for, in milliseconds: the offsets of a key's values add up to the start
   * they were taken from (a day's midnight, plus an hour's 3,600,000 ms per hour).
   */
  offsetOf(value: string): number;
  /** Glue partition projection properties, without the `projection.<name>.` before each. */
  readonly projection: Readonly<Record<string, string>>;
}

/** The UTC day, from the first day the lake holds to today. */
export const DT_PARTITION: PartitionKeyLayout = {
  name: 'dt',
  type: 'string',
  valueOf: utcDateOf,
  pattern: new RegExp(`^${CALENDAR_DATE_FORM}$`),
  offsetOf: (value) => parseInstant(value) ?? Number.NaN,
  projection: {
    type: 'date',
    format: 'yyyy-MM-dd',
    range: `${LAKE_EPOCH},NOW`,
    interval: '1',
    'interval.unit': 'DAYS',
  },
};

/** The UTC hour of the day, two digits. */
export const HOUR_PARTITION: PartitionKeyLayout = {
  name: 'hour',
  type: 'string',
  valueOf: (start) => new Date(start).toISOString().slice(11, 13),
  pattern: /^\d{2}$/,
  offsetOf: (value) => Number(value) * TIME.HOUR,
  projection: { type: 'integer', range: '0,23', digits: '2' },
};

// ---------------------------------------------------------------------------------------------
// Table layouts.

export interface TableLayoutSpec {
  /** The table's folder below the lake prefix; one path segment. */
  readonly folderOf: (dataset: DatasetDefinition) => string;
  /** The partition keys of a dataset's table, outermost folder first. */
  readonly partitionKeysOf: (dataset: DatasetDefinition) => readonly PartitionKeyLayout[];
  /** How every object's name ends: what the table's readers pick the objects by. */
  readonly suffix: string;
}

/**
 * One family of tables, one table per dataset. An object's name is the dataset's name and its
 * partition values joined the ISO way (`by_country_1h_2024-05-01T13`), then the suffix; with the
 * partition folders, a key says the whole window, and a re-run writes the same key.
 */
export class TableLayout {
  constructor(private readonly spec: TableLayoutSpec) {}

  get suffix(): string {
    return this.spec.suffix;
  }

  partitionKeysOf(dataset: DatasetDefinition): readonly PartitionKeyLayout[] {
    return this.spec.partitionKeysOf(dataset);
  }

  /**
   * The name of a dataset's table in Glue and in the local query engine: its folder's name, so a
   * table is found by the name of the folder that holds it (`by_country_1h`, `by_country_1h_curated`).
   */
  tableNameOf(dataset: DatasetDefinition): string {
    return this.spec.folderOf(dataset);
  }

  /** Folder of a dataset's table: `<prefix>/<folder>/`. */
  tablePrefix(prefix: string, dataset: DatasetDefinition): string {
    return `${lakeKey(prefix, this.spec.folderOf(dataset))}/`;
  }

  /** The partition values of the object that starts at `start`, outermost first. */
  partitionValuesAt(dataset: DatasetDefinition, start: number): Record<string, string> {
    return Object.fromEntries(this.partitionKeysOf(dataset).map((key) => [key.name, key.valueOf(start)]));
  }

  /** Deterministic key of the object that starts at `start`. */
  objectKeyAt(prefix: string, dataset: DatasetDefinition, start: number): string {
    const values = this.partitionKeysOf(dataset).map((key) => [key.name, key.valueOf(start)] as const);
    const folders = values.map(([name, value]) => `${name}=${value}/`).join('');
    const stamp = values.map(([, value]) => value).join('T');
    return `${this.tablePrefix(prefix, dataset)}${folders}${dataset.name}_${stamp}${this.spec.suffix}`;
  }

  /**
   * The start an object key holds, or null when the key is not exactly `objectKeyAt()` of some
   * start (stray files, temp files, other tables sharing a prefix, a day that does not exist).
   */
  startOfKey(prefix: string, dataset: DatasetDefinition, key: string): number | null {
    const table = this.tablePrefix(prefix, dataset);
    if (!key.startsWith(table)) return null;
    const keys = this.partitionKeysOf(dataset);
    const segments = key.slice(table.length).split('/');
    if (segments.length !== keys.length + 1) return null;
    let start = 0;
    for (const [index, partition] of keys.entries()) {
      const folder = segments[index] as string;
      const value = folder.slice(partition.name.length + 1);
      if (!folder.startsWith(`${partition.name}=`) || !partition.pattern.test(value)) return null;
      start += partition.offsetOf(value);
    }
    if (!Number.isSafeInteger(start)) return null;
    // The round trip: only a key this layout writes names a start.
    return this.objectKeyAt(prefix, dataset, start) === key ? start : null;
  }

  /**
   * Athena's `storage.location.template` for a dataset's table, with `${key}` placeholders that
   * match `objectKeyAt`'s folders exactly.
   */
  storageLocationTemplate(bucketUrl: string, prefix: string, dataset: DatasetDefinition): string {
    const folders = this.partitionKeysOf(dataset)
      .map((key) => `${key.name}=\${${key.name}}/`)
      .join('');
    return `${bucketUrl.replace(/\/+$/, '')}/${this.tablePrefix(prefix, dataset)}${folders}`;
  }

  /**
   * The Glue table parameters that locate a dataset's objects: partition projection on, each
   * key's projection, and the storage location template.
   */
  projectionParameters(
    bucketUrl: string,
    prefix: string,
    dataset: DatasetDefinition,
  ): Record<string, string> {
    const projection = this.partitionKeysOf(dataset).flatMap((key) =>
      Object.entries(key.projection).map(([property, value]) => [
        `projection.${key.name}.${property}`,
        value,
      ]),
    );
    return {
      'projection.enabled': 'true',
      ...Object.fromEntries(projection),
      'storage.location.template': this.storageLocationTemplate(bucketUrl, prefix, dataset),
    };
  }

  /**
   * Folder of one UTC day of a dataset's table, `<prefix>/<folder>/dt=YYYY-MM-DD/`: every object
   * of the day is below it, since every layout's outermost key is the day (DT_PARTITION).
   */
  dayFolder(prefix: string, dataset: DatasetDefinition, dayStart: number): string {
    return `${this.tablePrefix(prefix, dataset)}${DT_PARTITION.name}=${DT_PARTITION.valueOf(dayStart)}/`;
  }

  /** A glob, relative to the table's folder, that matches every object of the table. */
  objectGlob(dataset: DatasetDefinition): string {
    const folders = this.partitionKeysOf(dataset).map((key) => `${key.name}=*/`);
    return `${folders.join('')}*${this.spec.suffix}`;
  }
}

/** The tables the exports write: one gzip CSV per window, partitioned down to the window. */
export const RAW_TABLES = new TableLayout({
  folderOf: (dataset) => dataset.name,
  partitionKeysOf: (dataset) =>
    dataset.cadence === 'hourly' ? [DT_PARTITION, HOUR_PARTITION] : [DT_PARTITION],
  suffix: '.csv.gz',
});

/**
 * The curated tables (lambdas/core/curated/): one Parquet file per UTC day, in a folder beside the
 * raw table's, `<prefix>/<dataset>_curated/dt=YYYY-MM-DD/<dataset>_YYYY-MM-DD.parquet`.
 */
export const CURATED_TABLES = new TableLayout({
  folderOf: (dataset) => `${dataset.name}${CURATED_TABLE_SUFFIX}`,
  partitionKeysOf: () => [DT_PARTITION],
  suffix: '.parquet',
});

// ---------------------------------------------------------------------------------------------
// The raw tables, by window: what the export writer and its readers call.

export function partitionKeysOf(dataset: DatasetDefinition): readonly PartitionKeyLayout[] {
  return RAW_TABLES.partitionKeysOf(dataset);
}

/** Folder of a dataset's raw table in the lake: `<prefix>/<dataset>/`. */
export function tablePrefix(prefix: string, dataset: DatasetDefinition): string {
  return RAW_TABLES.tablePrefix(prefix, dataset);
}

/** The Hive partition values of a window, taken from its UTC start. */
export function partitionValuesOf(window: Window): Record<string, string> {
  return RAW_TABLES.partitionValuesAt(window.dataset, window.start);
}

/** Deterministic object key of a window; a re-run writes the same key. */
export function objectKey(prefix: string, window: Window): string {
  return RAW_TABLES.objectKeyAt(prefix, window.dataset, window.start);
}

/**
 * The window start an object key holds, or null when the key is not exactly `objectKey()` of a
 * window of this dataset.
 */
export function windowStartOfKey(prefix: string, dataset: DatasetDefinition, key: string): number | null {
  return RAW_TABLES.startOfKey(prefix, dataset, key);
}

/** Athena's `storage.location.template` for a dataset's raw table. */
export function storageLocationTemplate(
  bucketUrl: string,
  prefix: string,
  dataset: DatasetDefinition,
): string {
  return RAW_TABLES.storageLocationTemplate(bucketUrl, prefix, dataset);
}
