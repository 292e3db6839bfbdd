/**
 * One UTC day of a dataset, gathered from its lake windows (records as `readLakeCsv` decodes them),
 * checked, held as typed columns and sorted: the input of the day's Parquet file (see write.ts).
 *
 * Every record is checked against the dataset's columns, because a curated day is only as good as
 * its windows: a record of the wrong width, a timestamp outside the day or off its bucket grid, an
 * empty or non-numeric metric, a BIGINT outside INT64, or a row (timestamp and dimension values) that
 * appears twice (a window added twice) stops the day with a CuratedDayError naming the window and
 * line, rather than writing a file that disagrees with the raw table.
 */
import { INTERVAL_MS, TIME } from '../contract.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { utcDateOf } from '../dates.ts';
import {
  type BigInt64Column,
  BlockColumn,
  bigInt64Column,
  type Float64Column,
  float64Column,
  type Int32Column,
  int32Column,
  TextDictionary,
} from './columns.ts';
import { type CuratedColumn, curatedColumnsOf } from './schema.ts';

/** A day cannot be curated from these windows; names the window, the line and the rule. */
export class CuratedDayError extends Error {
  override readonly name = 'CuratedDayError';
}

/** One record of a lake window: the decoded fields, null for an empty unquoted field. */
export type LakeRecord = readonly (string | null)[];

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** How one metric column is parsed and held. */
type MetricColumn =
  | { readonly kind: 'bigint'; readonly name: string; readonly values: BigInt64Column }
  | { readonly kind: 'double'; readonly name: string; readonly values: Float64Column };

export interface DimensionColumn {
  readonly name: string;
  readonly dictionary: TextDictionary;
  readonly ids: Int32Column;
}

export class CuratedDay {
  readonly dataset: DatasetDefinition;
  /** Midnight UTC of the day, epoch ms. */
  readonly dayStart: number;
  /** Bucket length of the dataset's interval: a row's timestamp is held as its bucket number. */
  readonly bucketMs: number;
  readonly columns: readonly CuratedColumn[];
  // The typed columns, read by the writer (write.ts) in order().
  readonly buckets: Int32Column = int32Column();
  readonly dimensions: readonly DimensionColumn[];
  readonly metrics: readonly MetricColumn[];
  private count = 0;
  private sorted: Uint32Array | null = null;

  constructor(dataset: DatasetDefinition, dayStart: number) {
    if (!Number.isSafeInteger(dayStart) || dayStart % TIME.DAY !== 0) {
      throw new RangeError(`a curated day starts at midnight UTC, got ${String(dayStart)}`);
    }
    this.dataset = dataset;
    this.dayStart = dayStart;
    this.bucketMs = INTERVAL_MS[dataset.interval];
    this.columns = curatedColumnsOf(dataset);
    this.dimensions = this.columns
      .filter((column) => column.type === 'string')
      .map((column) => ({ name: column.name, dictionary: new TextDictionary(), ids: int32Column() }));
    this.metrics = this.columns
      .filter((column) => column.source !== 'timestamp' && column.type !== 'string')
      .map((column) =>
        column.type === 'bigint'
          ? { kind: 'bigint', name: column.name, values: bigInt64Column() }
          : { kind: 'double', name: column.name, values: float64Column() },
      );
  }

  /** Rows held so far. */
  get rows(): number {
    return this.count;
  }

  /**
   * Adds one window: its records, header first, as `readLakeCsv` yields them. The header must be
   * the dataset's columns, so a window written under another definition is refused. `source` (the
   * window's key) names the window in errors. Returns the window's row count. A window that fails
   * (a refused record, a read error) adds no row, so the day stays as it was before it.
   */
  async addWindow(
    records: AsyncIterable<LakeRecord> | Iterable<LakeRecord>,
    source: string,
  ): Promise<number> {
    const before = this.count;
    let line = 0;
    try {
      for await (const record of records) {
        line += 1;
        if (line === 1) this.checkHeader(record, source);
        else this.add(record, source, line);
      }
    } catch (error: unknown) {
      // A window is added whole or not at all: the rows it had added are dropped (overwritten later).
      this.count = before;
      throw error;
    }
    if (line === 0) throw new CuratedDayError(`${source}: the window is empty; it must start with a header`);
    return line - 1;
  }

  private checkHeader(record: LakeRecord, source: string): void {
    const expected = this.columns.map((column) => column.name);
    if (record.length !== expected.length || record.some((name, i) => name !== expected[i])) {
      throw new CuratedDayError(
        `${source}: header ${JSON.stringify(record)} is not the columns of ${this.dataset.name} (${expected.join(',')})`,
      );
    }
  }

  /** Adds one data record (no header). `source` and `line` only name it in errors. */
  add(record: LakeRecord, source = 'record', line = this.count + 1): void {
    if (this.sorted !== null)
      throw new CuratedDayError('rows cannot be added to a curated day after it is written');
    if (record.length !== this.columns.length) {
      throw new CuratedDayError(
        `${source} line ${line}: ${record.length} fields where ${this.columns.length} were expected`,
      );
    }
    const row = this.count;
    const at = BlockColumn.offset(row);
    this.buckets.grow(row);
    this.buckets.block(row)[at] = this.bucketOf(record[0] ?? null, source, line);
    let field = 1;
    for (const dimension of this.dimensions) {
      dimension.ids.grow(row);
      dimension.ids.block(row)[at] = dimension.dictionary.idOf(record[field] ?? null);
      field += 1;
    }
    for (const metric of this.metrics) {
      const text = record[field] ?? null;
      field += 1;
      metric.values.grow(row);
      if (metric.kind === 'bigint') {
        const value = parseBigint(text);
        if (value === null)
          throw this.badMetric(source, line, metric.name, text, 'a BIGINT (64-bit whole number)');
        metric.values.block(row)[at] = value;
      } else {
        const value = text !== null && DECIMAL.test(text) ? Number(text) : Number.NaN;
        if (!Number.isFinite(value)) throw this.badMetric(source, line, metric.name, text, 'a finite number');
        metric.values.block(row)[at] = value;
      }
    }
    this.count += 1;
  }

  private badMetric(source: string, line: number, name: string, text: string | null, rule: string) {
    return new CuratedDayError(`${source} line ${line}: ${name} ${JSON.stringify(text)} is not ${rule}`);
  }

  private bucketOf(text: string | null, source: string, line: number): number {
    const timestamp = text !== null && INTEGER.test(text) ? Number(text) : Number.NaN;
    const offset = timestamp - this.dayStart;
    if (Number.isSafeInteger(timestamp) && offset >= 0 && offset < TIME.DAY && offset % this.bucketMs === 0) {
      return offset / this.bucketMs;
    }
    const where = `${source} line ${line}: timestamp`;
    if (!Number.isSafeInteger(timestamp)) {
      throw new CuratedDayError(`${where} ${JSON.stringify(text)} is not epoch milliseconds`);
    }
    const at = `${timestamp} (${new Date(timestamp).toISOString()})`;
    throw new CuratedDayError(
      offset < 0 || offset >= TIME.DAY
        ? `${where} ${at} is outside the day ${utcDateOf(this.dayStart)}`
        : `${where} ${at} is not the start of a ${this.dataset.interval} bucket`,
    );
  }

  /**
   * Row numbers in the file's order: by timestamp, then each dimension in the dataset's order
   * (UTF-8 byte order, NULL last; see TextDictionary.ranks). Stable LSD counting sorts on the small
   * integer keys (bucket numbers and dictionary ranks): linear, with no comparator per pair. Refuses
   * a day in which a row's timestamp and dimension values appear twice. Fixes the day: no row can be
   * added afterwards.
   */
  order(): Uint32Array {
    if (this.sorted !== null) return this.sorted;
    const n = this.count;
    let order: Uint32Array = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const rankings = this.dimensions.map((dimension) => ({
      ids: dimension.ids,
      ranks: dimension.dictionary.ranks(dimension.dictionary.encoded()),
    }));
    for (let d = rankings.length - 1; d >= 0; d--) {
      const { ids, ranks } = rankings[d] as (typeof rankings)[number];
      order = countingSort(
        order,
        ranks.length,
        (row) => ranks[(ids.block(row)[BlockColumn.offset(row)] as number) + 1] ?? 0,
      );
    }
    const buckets = this.buckets;
    order = countingSort(
      order,
      TIME.DAY / this.bucketMs,
      (row) => buckets.block(row)[BlockColumn.offset(row)] ?? 0,
    );
    this.checkDistinct(order);
    this.sorted = order;
    return order;
  }

  private checkDistinct(order: Uint32Array): void {
    const same = (a: number, b: number, column: Int32Column) =>
      column.block(a)[BlockColumn.offset(a)] === column.block(b)[BlockColumn.offset(b)];
    for (let i = 1; i < order.length; i++) {
      const a = order[i - 1] as number;
      const b = order[i] as number;
      if (same(a, b, this.buckets) && this.dimensions.every((dimension) => same(a, b, dimension.ids))) {
        const bucket = this.buckets.block(b)[BlockColumn.offset(b)] ?? 0;
        const values = this.dimensions.map(
          (dimension) =>
            dimension.dictionary.values[dimension.ids.block(b)[BlockColumn.offset(b)] ?? -1] ?? null,
        );
        throw new CuratedDayError(
          `${this.dataset.name} ${new Date(this.dayStart + bucket * this.bucketMs).toISOString()}: the row ${JSON.stringify(values)} appears twice (was a window added twice?)`,
        );
      }
    }
  }
}

/** A stable counting sort of `rows` by an integer key in [0, keys). */
function countingSort(rows: Uint32Array, keys: number, keyOf: (row: number) => number): Uint32Array {
  const starts = new Uint32Array(keys + 1);
  for (const row of rows) starts[keyOf(row) + 1] = (starts[keyOf(row) + 1] ?? 0) + 1;
  for (let k = 1; k <= keys; k++) starts[k] = (starts[k] ?? 0) + (starts[k - 1] ?? 0);
  const out = new Uint32Array(rows.length);
  for (const row of rows) {
    const key = keyOf(row);
    out[starts[key] ?? 0] = row;
    starts[key] = (starts[key] ?? 0) + 1;
  }
  return out;
}

/** The value of a BIGINT field, or null when it is not a whole number that fits 64 bits. */
function parseBigint(text: string | null): bigint | null {
  if (text === null || !INTEGER.test(text)) return null;
  const value = BigInt(text);
  // Up to 18 digits always fits; a longer one is checked, as a BigInt64Array would wrap it silently.
  return text.length > 18 && (value < INT64_MIN || value > INT64_MAX) ? null : value;
}
