/**
 * `peer5-reporter query "SQL"`: runs SQL over a local lake with the same schema, table and column
 * names as the Glue tables (the raw `<dataset>` and the curated `<dataset>_curated`), so an analyst
 * can try an Athena query before running it for real.
 * DuckDB is an optional dependency: the rest of the CLI works without it.
 *
 * DuckDB's SQL is close to Athena's (Trino) but not the same, so the session is set up to answer
 * Athena SQL as Athena would: the session time zone is UTC, the clock can be set (`--now`), the
 * Trino functions analysts use that DuckDB lacks get macros (athena-functions.ts), and date
 * arithmetic is rewritten on the parse tree (athena-rewrite.ts).
 *
 * It reads a folder only. DuckDB reads S3 through its httpfs extension, which @duckdb/node-api does
 * not ship and DuckDB downloads at run time from its own site, so an S3 lake is queried with Athena.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type ColumnType, columnsOf, type DatasetDefinition } from '../../lambdas/core/datasets.ts';
import { CURATED_TABLES, partitionKeysOf, RAW_TABLES, tablePrefix } from '../../lambdas/core/lake/layout.ts';
import { sqlString } from './athena-formats.ts';
import { athenaSessionSql } from './athena-functions.ts';
import { rewriteAthenaTree } from './athena-rewrite.ts';

export class QueryEngineMissingError extends Error {
  override readonly name = 'QueryEngineMissingError';
}

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

const DUCKDB_TYPES: Record<ColumnType, string> = { bigint: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' };

function sqlIdentifier(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** A view with the table's columns and no row: a table with no object yet still parses and answers. */
function emptyViewSql(table: string, columns: readonly { name: string; type: ColumnType }[]): string {
  const nulls = columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${sqlIdentifier(c.name)}`);
  return `CREATE OR REPLACE VIEW ${table} AS SELECT ${nulls.join(', ')} WHERE false`;
}

/**
 * The DuckDB view that stands in for a dataset's curated Glue table (`<dataset>_curated`): its
 * Parquet files, typed as written, and the `dt` partition column from their folders.
 */
export function curatedViewSql(
  database: string,
  lakeRoot: string,
  prefix: string,
  dataset: DatasetDefinition,
): string {
  const columns = [...columnsOf(dataset), ...CURATED_TABLES.partitionKeysOf(dataset)];
  const table = `${sqlIdentifier(database)}.${sqlIdentifier(CURATED_TABLES.tableNameOf(dataset))}`;
  const folder = path.join(lakeRoot, CURATED_TABLES.tablePrefix(prefix, dataset));
  const suffix = CURATED_TABLES.suffix;
  // read_parquet fails on a glob that matches nothing, and a removed day can leave an empty folder.
  const hasFile =
    existsSync(folder) &&
    readdirSync(folder, { recursive: true }).some((name) => String(name).endsWith(suffix));
  if (!hasFile) return emptyViewSql(table, columns);
  const glob = path.join(folder, CURATED_TABLES.objectGlob(dataset));
  const hiveTypes = CURATED_TABLES.partitionKeysOf(dataset)
    .map((p) => `${sqlString(p.name)}: 'VARCHAR'`)
    .join(', ');
  return `CREATE OR REPLACE VIEW ${table} AS SELECT ${columns.map((c) => sqlIdentifier(c.name)).join(', ')} FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = {${hiveTypes}})`;
}

/** The DuckDB view that stands in for one raw Glue table. */
export function viewSql(
  database: string,
  lakeRoot: string,
  prefix: string,
  dataset: DatasetDefinition,
): string {
  const columns = columnsOf(dataset);
  const partitions = partitionKeysOf(dataset);
  const table = `${sqlIdentifier(database)}.${sqlIdentifier(RAW_TABLES.tableNameOf(dataset))}`;
  const folder = path.join(lakeRoot, tablePrefix(prefix, dataset));
  // No data yet: an empty view with the right columns, so queries still parse and return nothing.
  if (!existsSync(folder)) return emptyViewSql(table, [...columns, ...partitions]);
  const glob = path.join(folder, RAW_TABLES.objectGlob(dataset));
  const columnSpec = columns
    .map((c) => `${sqlString(c.name)}: ${sqlString(DUCKDB_TYPES[c.type])}`)
    .join(', ');
  // The lake writer doubles every backslash in text for OpenCSVSerDe, which reads `\\` as `\`;
  // DuckDB's reader keeps both, so the view undoes the doubling to show what Athena shows.
  const selected = [
    ...columns.map((c) =>
      c.type === 'string'
        ? `replace(${sqlIdentifier(c.name)}, '\\\\', '\\') AS ${sqlIdentifier(c.name)}`
        : sqlIdentifier(c.name),
    ),
    ...partitions.map((p) => sqlIdentifier(p.name)),
  ];
  const hiveTypes = partitions.map((p) => `${sqlString(p.name)}: 'VARCHAR'`).join(', ');
  return [
    `CREATE OR REPLACE VIEW ${table} AS SELECT ${selected.join(', ')} FROM read_csv(${sqlString(glob)},`,
    `header = true, quote = '"', escape = '"', allow_quoted_nulls = false, hive_partitioning = true,`,
    `hive_types = {${hiveTypes}}, columns = {${columnSpec}})`,
  ].join(' ');
}

type DuckDbModule = typeof import('@duckdb/node-api');
type DuckDbConnection = import('@duckdb/node-api').DuckDBConnection;

async function loadDuckDb(): Promise<DuckDbModule> {
  try {
    return await import('@duckdb/node-api');
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new QueryEngineMissingError(
      `"query" needs the optional dependency @duckdb/node-api, which is not installed (${reason}). ` +
        'Install it with: npm install @duckdb/node-api',
    );
  }
}

/**
 * One cell as a JSON-safe value. BIGINT and HUGEINT (sums) arrive as bigint and DECIMAL as a number:
 * JSON and tables want numbers (epoch ms and byte counts fit). TIME arrives as a bigint of
 * microseconds too, so a bigint whose JSON form is no integer keeps that form (`04:00:00`).
 * Lists hold plain values too. Timestamps, dates and structs take DuckDB's JSON form
 * (`2026-11-25 05:00:00+00`, objects) rather than Date objects or value classes that `--json`
 * could not print.
 */
function plain(js: unknown, json: unknown): unknown {
  if (typeof js === 'bigint') return typeof json === 'string' && !/^-?\d+$/.test(json) ? json : Number(js);
  if (js === null || typeof js !== 'object') return js;
  if (Array.isArray(js) && Array.isArray(json)) return js.map((item, index) => plain(item, json[index]));
  return json;
}

/**
 * The SQL to run: `sql` with Athena's date arithmetic and extract fields (athena-rewrite.ts), as
 * DuckDB prints the rewritten tree; `sql` itself when there is nothing to rewrite.
 */
async function athenaSql(connection: DuckDbConnection, sql: string): Promise<string> {
  const [serialized] = (
    await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql])
  )
    .getRowObjectsJS()
    .map((row) => row.tree);
  const rewritten = typeof serialized === 'string' ? rewriteAthenaTree(serialized) : null;
  if (rewritten === null) return sql;
  const [printed] = (
    await connection.runAndReadAll('SELECT json_deserialize_sql($1::JSON) AS sql', [rewritten])
  )
    .getRowObjectsJS()
    .map((row) => row.sql);
  return typeof printed === 'string' ? printed : sql;
}

export async function queryLocalLake(options: {
  readonly sql: string;
  readonly lakeRoot: string;
  readonly prefix: string;
  readonly database: string;
  readonly datasets: readonly DatasetDefinition[];
  /** The moment current_date, now() and their kin return (epoch ms); the real clock by default. */
  readonly now?: number;
}): Promise<QueryResult> {
  const duckdb = await loadDuckDb();
  // The client prints a timestamp with time zone at the laptop's offset; Athena's session is UTC.
  duckdb.DuckDBTimestampTZValue.timezoneOffsetInMinutes = 0;
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of athenaSessionSql(options.now ?? Date.now())) await connection.run(statement);
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlIdentifier(options.database)}`);
    await connection.run(`SET schema = ${sqlString(options.database)}`);
    for (const dataset of options.datasets) {
      await connection.run(viewSql(options.database, options.lakeRoot, options.prefix, dataset));
      await connection.run(curatedViewSql(options.database, options.lakeRoot, options.prefix, dataset));
    }
    const reader = await connection.runAndReadAll(await athenaSql(connection, options.sql));
    const columns = reader.columnNames();
    const json = reader.getRowObjectsJson();
    const rows = reader.getRowObjectsJS().map((row, index) => {
      const out: Record<string, unknown> = {};
      for (const name of columns) out[name] = plain(row[name], json[index]?.[name]);
      return out;
    });
    return { columns, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
