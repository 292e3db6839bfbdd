/**
 * A curated day as Parquet bytes: the day's rows in CuratedDay.order(), one row group of
 * CURATED_ROW_GROUP_ROWS at a time, SNAPPY, with the schema derived from the dataset definition.
 * Pure: the bytes come out as chunks (about one row group each) for the caller to upload or save,
 * so only one row group is ever encoded in memory beside the day's typed columns.
 *
 * A day without rows (no traffic) is a valid Parquet file with the schema and no row group, so that
 * "no traffic" and "not curated yet" can be told apart, as a header-only CSV window does.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { TIME } from '../contract.ts';
import { utcDateOf } from '../dates.ts';
import { BlockColumn } from './columns.ts';
import type { CuratedDay } from './day.ts';
import { CURATED_CODEC, CURATED_ROW_GROUP_ROWS, parquetSchemaOf } from './schema.ts';

type ColumnData = Parameters<ParquetWriter['write']>[0]['columnData'];

/** Footer metadata keys: which dataset and day a file holds, for people and tools that open it. */
export const CURATED_METADATA_KEYS = { dataset: 'peer5.dataset', day: 'peer5.day' } as const;

/** A ByteWriter that hands its bytes out after every row group instead of growing one buffer. */
class ChunkWriter extends ByteWriter {
  readonly chunks: Uint8Array[] = [];
  flush(): void {
    if (this.index === 0) return;
    this.chunks.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
  override finish(): void {
    this.flush();
  }
}

export interface CuratedWriteOptions {
  /** Rows per row group. @default CURATED_ROW_GROUP_ROWS */
  readonly rowGroupRows?: number;
}

/** The day's Parquet file as consecutive chunks; concatenated, they are the file. */
export function* curatedParquetChunks(
  day: CuratedDay,
  options: CuratedWriteOptions = {},
): Generator<Uint8Array, void, undefined> {
  const groupRows = options.rowGroupRows ?? CURATED_ROW_GROUP_ROWS;
  if (!Number.isSafeInteger(groupRows) || groupRows < 1) {
    throw new RangeError(`rowGroupRows must be a positive whole number, got ${String(groupRows)}`);
  }
  const order = day.order();
  const writer = new ChunkWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchemaOf(day.dataset),
    codec: CURATED_CODEC,
    createdBy: 'peer5-reporter (hyparquet-writer)',
    kvMetadata: [
      { key: CURATED_METADATA_KEYS.dataset, value: day.dataset.name },
      { key: CURATED_METADATA_KEYS.day, value: utcDateOf(day.dayStart) },
    ],
  });
  const encoded = day.dimensions.map((dimension) => dimension.dictionary.encoded());
  // A day has at most 1,440 distinct timestamps: make each bigint once.
  const timestamps = Array.from({ length: TIME.DAY / day.bucketMs }, (_, bucket) =>
    BigInt(day.dayStart + bucket * day.bucketMs),
  );
  for (let start = 0; start < order.length; start += groupRows) {
    const rows = order.subarray(start, Math.min(start + groupRows, order.length));
    parquet.write({ columnData: rowGroupColumns(day, rows, encoded, timestamps), rowGroupSize: rows.length });
    yield* drain(writer);
  }
  parquet.finish();
  yield* drain(writer);
}

function* drain(writer: ChunkWriter): Generator<Uint8Array, void, undefined> {
  while (writer.chunks.length > 0) yield writer.chunks.shift() as Uint8Array;
}

/** The day's Parquet file in one buffer. */
export function curatedParquet(day: CuratedDay, options: CuratedWriteOptions = {}): Uint8Array {
  const chunks = [...curatedParquetChunks(day, options)];
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** One row group's column arrays, gathered from the day's blocks in the file's order. */
function rowGroupColumns(
  day: CuratedDay,
  rows: Uint32Array,
  encoded: readonly (readonly Uint8Array[])[],
  timestamps: readonly bigint[],
): ColumnData {
  const n = rows.length;
  const timestamp = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as number;
    timestamp[i] = timestamps[day.buckets.block(row)[BlockColumn.offset(row)] as number] as bigint;
  }
  const dimensions = day.dimensions.map((dimension, d) => {
    const bytes = encoded[d] as readonly Uint8Array[];
    const values: (Uint8Array | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as number;
      const id = dimension.ids.block(row)[BlockColumn.offset(row)] as number;
      values[i] = id < 0 ? null : (bytes[id] as Uint8Array);
    }
    return { name: dimension.name, data: values };
  });
  const metrics = day.metrics.map((metric) => ({
    name: metric.name,
    data:
      metric.kind === 'bigint'
        ? gather(metric.values, new BigInt64Array(n), rows)
        : gather(metric.values, new Float64Array(n), rows),
  }));
  // Sorted by timestamp: a page index on it lets readers skip pages outside a time range.
  return [{ name: 'timestamp', data: timestamp, columnIndex: true }, ...dimensions, ...metrics];
}

function gather<T extends BigInt64Array | Float64Array>(
  source: BlockColumn<T>,
  into: T,
  rows: Uint32Array,
): T {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    into[i] = source.block(row)[BlockColumn.offset(row)] as T[number];
  }
  return into;
}
