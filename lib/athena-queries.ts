/**
 * Saved Athena queries, written against whichever configured datasets can answer them. Column
 * names come from the writer's `columnName`, table names from the layout descriptors. A query over
 * whole days reads the curated table (one Parquet file a day: a 30-day query opens 30 objects and
 * reads only its columns); one that needs the hours still being written reads the raw table.
 */
import type { Dimension } from '../lambdas/core/contract.ts';
import { columnName, type DatasetDefinition } from '../lambdas/core/datasets.ts';
import { CURATED_TABLES, partitionKeysOf, RAW_TABLES } from '../lambdas/core/lake/layout.ts';
import { OFFLOAD_METRICS } from '../lambdas/core/report/scope.ts';

export interface SavedQuery {
  /** Construct id and, spaced out, the name shown in the Athena console. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

const COUNTRY: Dimension = 'country.code';

function hasOffloadMetrics(dataset: DatasetDefinition): boolean {
  return OFFLOAD_METRICS.every((metric) => dataset.metrics.includes(metric));
}

/** Fewest dimensions first (fewer rows to scan), then coarser intervals. */
function cheapestFirst(a: DatasetDefinition, b: DatasetDefinition): number {
  return a.dimensions.length - b.dimensions.length;
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function offloadColumns(): string {
  const p2p = columnName('p2p');
  const http = columnName('http');
  return [
    `  SUM(${p2p}) AS p2p_bytes,`,
    `  SUM(${http}) AS http_bytes,`,
    `  ROUND(100.0 * SUM(${p2p}) / NULLIF(SUM(${p2p}) + SUM(${http}), 0), 2) AS offload_pct`,
  ].join('\n');
}

/** Only recent partitions, so partition projection prunes the scan. */
function recentDays(days: number): string {
  return `dt >= date_format(current_date - INTERVAL '${days}' DAY, '%Y-%m-%d')`;
}

/** Daily P2P offload per viewer country, from the cheapest dataset split by country. */
export function dailyOffloadByCountry(
  database: string,
  datasets: readonly DatasetDefinition[],
): SavedQuery | null {
  const source = datasets
    .filter((dataset) => dataset.dimensions.includes(COUNTRY) && hasOffloadMetrics(dataset))
    .sort(cheapestFirst)[0];
  if (!source) return null;
  const country = columnName(COUNTRY);
  return {
    id: 'DailyOffloadByCountry',
    name: 'Daily offload by country',
    description: `P2P offload per UTC day and viewer country over the last 30 final days, from ${CURATED_TABLES.tableNameOf(source)}.`,
    sql: [
      `SELECT dt, ${country},`,
      offloadColumns(),
      `FROM ${quoted(database)}.${quoted(CURATED_TABLES.tableNameOf(source))}`,
      `WHERE ${recentDays(30)}`,
      `GROUP BY dt, ${country}`,
      `ORDER BY dt DESC, SUM(${columnName('p2p')}) + SUM(${columnName('http')}) DESC`,
    ].join('\n'),
  };
}

/** Hourly P2P offload trend, from the cheapest hourly dataset (bytes add up across any split). */
export function hourlyOffloadTrend(
  database: string,
  datasets: readonly DatasetDefinition[],
): SavedQuery | null {
  const source = datasets
    .filter((dataset) => dataset.cadence === 'hourly' && hasOffloadMetrics(dataset))
    .sort(cheapestFirst)[0];
  if (!source) return null;
  const partitions = partitionKeysOf(source)
    .map((key) => key.name)
    .join(', ');
  return {
    id: 'HourlyOffloadTrend',
    name: 'Hourly offload trend',
    description: `P2P offload per UTC hour over the last 7 days, from ${source.name}.`,
    sql: [
      `SELECT ${partitions},`,
      offloadColumns(),
      `FROM ${quoted(database)}.${quoted(RAW_TABLES.tableNameOf(source))}`,
      `WHERE ${recentDays(7)}`,
      `GROUP BY ${partitions}`,
      `ORDER BY ${partitions}`,
    ].join('\n'),
  };
}

export function savedQueries(database: string, datasets: readonly DatasetDefinition[]): SavedQuery[] {
  return [dailyOffloadByCountry(database, datasets), hourlyOffloadTrend(database, datasets)].filter(
    (query): query is SavedQuery => query !== null,
  );
}
