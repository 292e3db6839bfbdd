/**
 * `peer5-reporter query "SQL"`: runs SQL over a local lake with the same schema, table and column
 * names as the Glue tables, so an analyst can try an Athena query before running it for real.
 * DuckDB is an optional dependency: the rest of the CLI works without it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type ColumnType,
  columnsOf,
  type DatasetDefinition,
  partitionKeysOf,
  tablePrefix,
} from '../../lambdas/core/datasets.ts';

export class QueryEngineMissingError extends Error {
  override readonly name = 'QueryEngineMissingError';
}

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

const DUCKDB_TYPES: Record<ColumnType, string> = { bigint: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' };

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function sqlIdentifier(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** The DuckDB view that stands in for one Glue table. */
export function viewSql(
  database: string,
  lakeRoot: string,
  prefix: string,
  dataset: DatasetDefinition,
): string {
  const columns = columnsOf(dataset);
  const partitions = partitionKeysOf(dataset);
  const table = `${sqlIdentifier(database)}.${sqlIdentifier(dataset.name)}`;
  const folder = path.join(lakeRoot, tablePrefix(prefix, dataset));
  if (!existsSync(folder)) {
    // No data yet: an empty view with the right columns, so queries still parse and return nothing.
    const nulls = [...columns, ...partitions].map(
      (c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${sqlIdentifier(c.name)}`,
    );
    return `CREATE OR REPLACE VIEW ${table} AS SELECT ${nulls.join(', ')} WHERE false`;
  }
  const glob = path.join(folder, ...partitions.map(() => '*'), '*.csv.gz');
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

function plain(value: unknown): unknown {
  // DuckDB returns BIGINT as bigint; JSON and tables want numbers (epoch ms and byte counts fit).
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export async function queryLocalLake(options: {
  readonly sql: string;
  readonly lakeRoot: string;
  readonly prefix: string;
  readonly database: string;
  readonly datasets: readonly DatasetDefinition[];
}): Promise<QueryResult> {
  const duckdb = await loadDuckDb();
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlIdentifier(options.database)}`);
    await connection.run(`SET schema = ${sqlString(options.database)}`);
    for (const dataset of options.datasets) {
      await connection.run(viewSql(options.database, options.lakeRoot, options.prefix, dataset));
    }
    const reader = await connection.runAndReadAll(options.sql);
    const columns = reader.columnNames();
    const rows = reader.getRowObjects().map((row) => {
      const out: Record<string, unknown> = {};
      for (const name of columns) out[name] = plain(row[name]);
      return out;
    });
    return { columns, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
