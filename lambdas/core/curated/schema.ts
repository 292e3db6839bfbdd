/**
 * The curated table's columns: one Parquet file per UTC day of a dataset, with the same column
 * names and Glue types as the raw CSV table (`columnsOf`), typed the way Athena reads Parquet:
 *
 *   Glue `bigint` <- Parquet INT64 (no logical type: epoch ms and byte counts, not TIMESTAMP)
 *   Glue `double` <- Parquet DOUBLE
 *   Glue `string` <- Parquet BYTE_ARRAY annotated UTF8 / STRING
 *
 * Athena matches Parquet columns by name, and a column whose Parquet type differs from its Glue
 * type fails the query (HIVE_BAD_DATA), so both are derived here from the one dataset definition.
 *
 * Unknown versus empty: the raw CSV keeps the API's distinction (an unknown dimension value is an
 * empty unquoted field, an empty string is `""`), but Athena's OpenCSVSerDe has no NULL for text and
 * reads both as `''`. The curated table keeps the distinction as SQL does: unknown is NULL, an empty
 * string stays `''`. So over the same rows, `COALESCE(dim, '')` on the curated table equals the raw
 * table in Athena cell for cell, and the curated table equals the raw table exactly as the local
 * `query` command (DuckDB) reads it. Metrics and `timestamp` are never empty, hence REQUIRED.
 */
import type { ParquetWriter } from 'hyparquet-writer';
import { type Column, type ColumnType, columnsOf, type DatasetDefinition } from '../datasets.ts';

/** A Parquet schema element, as the writer takes it (the `hyparquet` type, without importing it). */
export type ParquetSchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** The Parquet form of each Glue column type. */
export const PARQUET_TYPE_OF: Readonly<Record<ColumnType, Readonly<ParquetSchemaElementType>>> = {
  bigint: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
};

type ParquetSchemaElementType = Pick<ParquetSchemaElement, 'type' | 'converted_type' | 'logical_type'>;

/** The Glue (Hive) SerDe and formats of a curated table. */
export const CURATED_SERDE_LIBRARY = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const CURATED_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const CURATED_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';
export const CURATED_CONTENT_TYPE = 'application/vnd.apache.parquet';

/**
 * SNAPPY: the writer's built-in pure-JS compressor, the same on Node 20 (CLI, tests) and Node 24
 * (Lambda) with no extra bundle bytes. ZSTD made a day of the largest dataset 44% smaller at the same
 * CPU, but needs Node's zlib ZSTD (Node >= 22.15) or a 252 KB .wasm shipped beside the bundle (see the
 * README's dependency table). Once Node 20 is dropped, switching is this constant plus
 * `compressors: { ZSTD: (bytes) => zstdCompressSync(bytes) }` (node:zlib) for the ParquetWriter.
 */
export const CURATED_CODEC = 'SNAPPY';

/**
 * Rows per row group. Athena reads a file's row groups as separate splits and fetches each column
 * chunk with its own ranged read, so a chunk should be at least ~1 MB: 2^18 rows make a SNAPPY metric
 * chunk of ~1.4 MB (5.5 bytes a value on the bench data), and the largest dataset's day (1.17M rows)
 * 5 groups that Athena can read in parallel. The writer encodes one row group at a time, so this also
 * sets its working set beside the day's columns; measured on that day (file MB / extra peak RSS MB):
 * 2^16 rows 23.4 / 37, 2^17 23.0 / 61, 2^18 22.9 / 89, 2^19 22.8 / 126. The default tables (a few
 * thousand rows a day) fit in one group, which is what a reader wants from a small file.
 */
export const CURATED_ROW_GROUP_ROWS = 262_144;

export interface CuratedColumn extends Column {
  /** The column's Parquet schema element. */
  readonly parquet: ParquetSchemaElement;
}

/** The curated columns, in the raw table's order: timestamp, the dimensions, then the metrics. */
export function curatedColumnsOf(dataset: DatasetDefinition): CuratedColumn[] {
  return columnsOf(dataset).map((column) => ({
    ...column,
    parquet: {
      name: column.name,
      ...PARQUET_TYPE_OF[column.type],
      // Only a dimension may be unknown; the CSV never holds an empty timestamp or metric.
      repetition_type: column.type === 'string' ? 'OPTIONAL' : 'REQUIRED',
    },
  }));
}

/** The file's Parquet schema (flattened, root first), derived from the dataset definition. */
export function parquetSchemaOf(dataset: DatasetDefinition): ParquetSchemaElement[] {
  const columns = curatedColumnsOf(dataset);
  return [{ name: 'root', num_children: columns.length }, ...columns.map((column) => column.parquet)];
}

/** The curated Glue table's columns: the same names and types as the raw table's. */
export function glueColumnsOf(dataset: DatasetDefinition): { name: string; type: ColumnType }[] {
  return columnsOf(dataset).map(({ name, type }) => ({ name, type }));
}

/** The type fields of a schema element, from this writer or from any reader's metadata. */
export interface ParquetTypeOf {
  readonly type?: string;
  readonly converted_type?: string;
  readonly logical_type?: { readonly type: string };
}

/**
 * The Glue type Athena reads a Parquet column as, or null when it reads none of ours; the inverse of
 * PARQUET_TYPE_OF, so a test can check a Glue table against a written file's schema.
 */
export function glueTypeOfParquet(element: ParquetTypeOf): ColumnType | null {
  if (element.type === 'INT64' && element.converted_type === undefined && element.logical_type === undefined)
    return 'bigint';
  if (element.type === 'DOUBLE') return 'double';
  if (
    element.type === 'BYTE_ARRAY' &&
    (element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING')
  )
    return 'string';
  return null;
}
