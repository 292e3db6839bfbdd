/**
 * Independent arithmetic over the simulator's own rows (no HTTP, no client, no report code), for
 * tests that check the report's figures against the API's numbers.
 */
import type { Dimension, ExportRow, Interval, Metric } from '../../../lambdas/core/contract.ts';
import { METRICS } from '../../../lambdas/core/contract.ts';
import type { RunningSimulator } from '../../../simulator/index.ts';

export type MetricSums = Record<Metric, number>;

export function modelRows(
  sim: RunningSimulator,
  range: { from: number; to: number },
  interval: Interval,
  dimensions: readonly Dimension[] = [],
  filters?: Partial<Record<Dimension, string[]>>,
): ExportRow[] {
  return [
    ...sim.rows(
      { ...range, interval, metrics: METRICS, dimensions, ...(filters ? { filters } : {}) },
      { asOf: sim.now() },
    ),
  ];
}

export function sumRows(rows: readonly ExportRow[]): MetricSums {
  const sums = Object.fromEntries(METRICS.map((metric) => [metric, 0])) as MetricSums;
  for (const row of rows) {
    for (const metric of METRICS) sums[metric] += row.metrics[metric] ?? 0;
  }
  return sums;
}

/** Metric sums per value of one dimension. */
export function sumsByValue(
  rows: readonly ExportRow[],
  dimension: Dimension,
): Map<string | null, MetricSums> {
  const byValue = new Map<string | null, ExportRow[]>();
  for (const row of rows) {
    const value = row.dimensions[dimension] ?? null;
    const list = byValue.get(value) ?? [];
    list.push(row);
    byValue.set(value, list);
  }
  return new Map([...byValue.entries()].map(([value, list]) => [value, sumRows(list)]));
}
