/**
 * The report's ops footer: the lake's health for the report day (windows written, provisional,
 * missing), a link to query the day in Athena, the runbook, and what the report itself cost in API
 * requests. The lake's state is read by the caller (`readLakeState`); this module is pure.
 */
import { TIME } from '../contract.ts';
import { CADENCE_MS, columnName, type DatasetDefinition } from '../datasets.ts';
import { utcDateOf } from '../dates.ts';
import { partitionKeysOf } from '../lake/layout.ts';
import type { LakeState } from '../lake/plan.ts';
import { OFFLOAD_METRICS } from './scope.ts';
import type { LocalDayWindow } from './time.ts';

export interface DatasetHealth {
  readonly dataset: string;
  /** Windows of the dataset that overlap the report day. */
  readonly expected: number;
  /** Of those, windows with an object in the lake. */
  readonly written: number;
  /** Of those written, windows still marked provisional (their numbers may still grow). */
  readonly provisional: number;
  /** Starts of the expected windows with no object. */
  readonly missing: readonly number[];
}

export interface LakeHealth {
  readonly location: string;
  readonly datasets: readonly DatasetHealth[];
}

/** Where the day can be queried: the deployed workgroup and database, and the SQL. */
export interface AthenaLink {
  readonly url: string | null;
  readonly workGroup: string;
  readonly database: string;
  readonly sql: string;
}

export interface ReportOps {
  /** Null when the report was run without access to the lake. */
  readonly lake: LakeHealth | null;
  readonly athena: AthenaLink | null;
  /** The `runbookUrl` setting; null names the README section instead. */
  readonly runbookUrl: string | null;
  /** API requests the report made to gather its figures; null when the source does not count. */
  readonly apiRequests: number | null;
}

/** The README section the footer names when no `runbookUrl` is set. */
export const RUNBOOK_SECTION = 'Operations runbook';

/** Window starts of a dataset that overlap [from, to). */
export function windowsOverlapping(dataset: DatasetDefinition, window: LocalDayWindow): number[] {
  const length = CADENCE_MS[dataset.cadence];
  const starts: number[] = [];
  for (let start = Math.floor(window.from / length) * length; start < window.to; start += length) {
    starts.push(start);
  }
  return starts;
}

/** What the lake holds of the report day, dataset by dataset. */
export function lakeHealthOf(
  state: LakeState,
  datasets: readonly DatasetDefinition[],
  window: LocalDayWindow,
  location: string,
): LakeHealth {
  return {
    location,
    datasets: datasets.map((dataset): DatasetHealth => {
      const held = state.datasets.get(dataset.name);
      const expected = windowsOverlapping(dataset, window);
      const written = expected.filter((start) => held?.present.has(start) ?? false);
      return {
        dataset: dataset.name,
        expected: expected.length,
        written: written.length,
        provisional: written.filter((start) => held?.provisional.has(start) ?? false).length,
        missing: expected.filter((start) => !(held?.present.has(start) ?? false)),
      };
    }),
  };
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * The report day's hourly offload from the lake: the cheapest hourly dataset that has the bytes
 * (fewest dimensions), its partitions pruned to the UTC dates the local day touches. Null when no
 * dataset can answer.
 */
export function dayOffloadSql(
  database: string,
  datasets: readonly DatasetDefinition[],
  window: LocalDayWindow,
): string | null {
  const source = datasets
    .filter(
      (dataset) =>
        dataset.cadence === 'hourly' && OFFLOAD_METRICS.every((metric) => dataset.metrics.includes(metric)),
    )
    .sort((a, b) => a.dimensions.length - b.dimensions.length)[0];
  if (source === undefined) return null;
  const partitions = partitionKeysOf(source).map((key) => key.name);
  const [dt, hour] = partitions;
  if (dt === undefined || hour === undefined) return null;
  const p2p = columnName('p2p');
  const http = columnName('http');
  const at = (t: number) => `'${utcDateOf(t)} ${new Date(t).toISOString().slice(11, 13)}'`;
  return [
    `SELECT ${dt}, ${hour},`,
    `  SUM(${p2p}) AS p2p_bytes, SUM(${http}) AS http_bytes,`,
    `  ROUND(100.0 * SUM(${p2p}) / NULLIF(SUM(${p2p}) + SUM(${http}), 0), 2) AS offload_pct`,
    `FROM ${quoted(database)}.${quoted(source.name)}`,
    `WHERE ${dt} BETWEEN '${utcDateOf(window.from)}' AND '${utcDateOf(window.to - TIME.HOUR)}'`,
    `  AND concat(${dt}, ' ', ${hour}) >= ${at(window.from)} AND concat(${dt}, ' ', ${hour}) < ${at(window.to)}`,
    `GROUP BY ${dt}, ${hour}`,
    `ORDER BY ${dt}, ${hour}`,
  ].join('\n');
}

/**
 * The Athena console's query editor in the deployed region and workgroup. The console has no
 * documented way to pre-fill a query from a link, so the email prints the SQL beside it.
 */
export function athenaConsoleUrl(region: string, workGroup: string): string {
  const params = new URLSearchParams({ region, workgroup: workGroup });
  return `https://${region}.console.aws.amazon.com/athena/home?${params.toString()}#/query-editor`;
}
