/**
 * `peer5-reporter query "SQL"`: runs SQL over a local lake with the same schema, table and column
 * names as the Glue tables, so an analyst can try an Athena query before running it for real.
 * DuckDB is an optional dependency: the rest of the CLI works without it.
 *
 * DuckDB's SQL is close to Athena's (Trino) but not the same, so the session is set up to run the
 * SQL our README and saved queries use as Athena would: the session time zone is UTC, and a few
 * Trino functions DuckDB lacks get small macros (see ATHENA_FUNCTION_SHIMS). These are shims for
 * the functions the docs use, not a Trino emulator: other Trino-only SQL still fails here.
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

/**
 * Trino's `date_format` specifiers (MySQL style, as Athena engine v3 reads them) and the DuckDB
 * `strftime` code that prints the same text:
 *
 *   %a Sun..Sat      -> %a     %H 00..23          -> %H     %p AM/PM              -> %p
 *   %b Jan..Dec      -> %b     %h, %I 01..12      -> %I     %r 01:04:05 PM        -> %I:%M:%S %p
 *   %c month 1..12   -> %-m    %i minutes 00..59  -> %M     %S, %s seconds 00..59 -> %S
 *   %d day 01..31    -> %d     %j day of year     -> %j     %T 13:04:05           -> %H:%M:%S
 *   %e day 1..31     -> %-d    %k hour 0..23      -> %-H    %v ISO week 01..53    -> %V
 *   %f 123000        -> %g000  %l hour 1..12      -> %-I    %W Sunday..Saturday   -> %A
 *   %M January..     -> %B     %m month 01..12    -> %m     %x ISO week year      -> %G
 *   %Y 2026          -> %Y     %y 26              -> %y     %% a literal %        -> %%
 *
 * `%f` prints milliseconds and three zeros because Trino keeps milliseconds only. Trino rejects
 * %D %U %u %V %w %X ("not supported in date format string"), so the shim does too (null below).
 * Any other `%x` prints `x`, as in Trino.
 */
const DATE_FORMAT_SPECIFIERS: Readonly<Record<string, string | null>> = {
  '%a': '%a',
  '%b': '%b',
  '%c': '%-m',
  '%d': '%d',
  '%e': '%-d',
  '%f': '%g000',
  '%H': '%H',
  '%h': '%I',
  '%I': '%I',
  '%i': '%M',
  '%j': '%j',
  '%k': '%-H',
  '%l': '%-I',
  '%M': '%B',
  '%m': '%m',
  '%p': '%p',
  '%r': '%I:%M:%S %p',
  '%S': '%S',
  '%s': '%S',
  '%T': '%H:%M:%S',
  '%v': '%V',
  '%W': '%A',
  '%x': '%G',
  '%Y': '%Y',
  '%y': '%y',
  '%%': '%%',
  '%D': null,
  '%U': null,
  '%u': null,
  '%V': null,
  '%w': null,
  '%X': null,
};

/** A DuckDB expression that rewrites the Trino format string `format` into a strftime one. */
function strftimeFormatSql(format: string): string {
  const cases = Object.entries(DATE_FORMAT_SPECIFIERS).map(([trino, duckdb]) => {
    const result =
      duckdb === null
        ? `error(${sqlString(`date_format: ${trino} not supported in date format string (Athena rejects it too)`)})`
        : sqlString(duckdb);
    return `WHEN ${sqlString(trino)} THEN ${result}`;
  });
  // Split into `%x` specifiers and runs of literal text; literal text has no `%`, so strftime prints
  // it as is. A lone trailing `%` prints nothing, as in Trino.
  const token = [
    `CASE t ${cases.join(' ')}`,
    `WHEN '%' THEN ''`,
    `ELSE CASE WHEN starts_with(t, '%') THEN substr(t, 2) ELSE t END END`,
  ].join(' ');
  return `array_to_string(list_transform(regexp_extract_all(${format}, '(?s)%.|[^%]+|%'), lambda t: ${token}), '')`;
}

/**
 * Shims for the Athena (Trino) functions our docs and saved queries use that DuckDB lacks or names
 * differently. DuckDB already has Trino's date_trunc, nullif, round, count_if and
 * `current_date - interval '7' day`.
 */
const ATHENA_FUNCTION_SHIMS: readonly string[] = [
  // The rewritten format is not a constant to DuckDB, which only the time-zone-aware strftime takes;
  // with the session in UTC the cast keeps the wall-clock time of a plain timestamp or date.
  `CREATE OR REPLACE TEMP MACRO date_format(value, format) AS strftime(CAST(value AS TIMESTAMPTZ), ${strftimeFormatSql('format')})`,
  // Trino returns a timestamp with time zone, as DuckDB's to_timestamp does.
  'CREATE OR REPLACE TEMP MACRO from_unixtime(unixtime) AS to_timestamp(unixtime)',
  'CREATE OR REPLACE TEMP MACRO approx_distinct(value) AS approx_count_distinct(value)',
];

/** Session set-up that makes DuckDB answer Athena SQL as Athena does. */
function athenaSessionSql(): string[] {
  // Athena's session time zone is UTC: current_date, date_trunc and the timestamps from_unixtime
  // returns follow it, wherever the analyst's laptop is.
  return ["SET TimeZone = 'UTC'", ...ATHENA_FUNCTION_SHIMS];
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

/**
 * One cell as a JSON-safe value. BIGINT and HUGEINT (sums) arrive as bigint and DECIMAL as a number:
 * JSON and tables want numbers (epoch ms and byte counts fit). Timestamps, dates, lists and structs
 * take DuckDB's JSON form (`2026-11-25 05:00:00+00`, arrays, objects) rather than Date objects or
 * value classes that `--json` could not print.
 */
function plain(js: unknown, json: unknown): unknown {
  if (typeof js === 'bigint') return Number(js);
  if (js === null || typeof js !== 'object') return js;
  return json;
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
    for (const statement of athenaSessionSql()) await connection.run(statement);
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlIdentifier(options.database)}`);
    await connection.run(`SET schema = ${sqlString(options.database)}`);
    for (const dataset of options.datasets) {
      await connection.run(viewSql(options.database, options.lakeRoot, options.prefix, dataset));
    }
    const reader = await connection.runAndReadAll(options.sql);
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
