/**
 * The API's two response formats, written row by row so a response never has to exist whole.
 */
import type { ExportFormat, Metric } from '../lambdas/core/contract.ts';
import type { ResolvedExport } from './grouping.ts';
import { type BucketSums, metricValue, rowGroupsOf } from './model.ts';
import { COUNTER_COUNT } from './segment-hours.ts';

export const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface RowEncoder {
  readonly contentType: string;
  /** Text before the first row. */
  readonly opening: string;
  /** One row; `first` is true for the first row of the response. */
  row(timestamp: number, group: number, sums: Float64Array, lengthMs: number, first: boolean): string;
  /** Text after the last row. */
  readonly closing: string;
}

/** A CSV string field: always quoted, any double quote doubled; an unknown value is empty. */
export function csvField(value: string | null): string {
  return value === null ? '' : `"${value.replaceAll('"', '""')}"`;
}

function jsonEncoder(resolved: ResolvedExport, metrics: readonly Metric[]): RowEncoder {
  // Each group's dimension fragment is built once, not once per row.
  const groupFragments = resolved.groups.map((values) =>
    resolved.dimensions
      .map((d, index) => `,${JSON.stringify(d)}:${JSON.stringify(values[index] ?? null)}`)
      .join(''),
  );
  const metricKeys = metrics.map((metric) => `,${JSON.stringify(metric)}:`);
  return {
    contentType: CONTENT_TYPES.json,
    opening: '{"error":false,"data":[',
    row(timestamp, group, sums, lengthMs, first) {
      const base = group * COUNTER_COUNT;
      let line = `${first ? '' : ','}{"timestamp":${timestamp}${groupFragments[group] ?? ''}`;
      for (let index = 0; index < metrics.length; index++) {
        const metric = metrics[index] as Metric;
        line += `${metricKeys[index]}${metricValue(metric, sums, base, lengthMs)}`;
      }
      return `${line}}`;
    },
    closing: ']}',
  };
}

function csvEncoder(resolved: ResolvedExport, metrics: readonly Metric[]): RowEncoder {
  const header = ['timestamp', ...resolved.dimensions, ...metrics].map(csvField).join(',');
  const groupFragments = resolved.groups.map((values) =>
    resolved.dimensions.map((_, index) => `,${csvField(values[index] ?? null)}`).join(''),
  );
  return {
    contentType: CONTENT_TYPES.csv,
    opening: `${header}\n`,
    row(timestamp, group, sums, lengthMs) {
      const base = group * COUNTER_COUNT;
      let line = `${timestamp}${groupFragments[group] ?? ''}`;
      for (const metric of metrics) line += `,${metricValue(metric, sums, base, lengthMs)}`;
      return `${line}\n`;
    },
    closing: '',
  };
}

export function encoderFor(
  format: ExportFormat,
  resolved: ResolvedExport,
  metrics: readonly Metric[],
): RowEncoder {
  return format === 'csv' ? csvEncoder(resolved, metrics) : jsonEncoder(resolved, metrics);
}

/** Rows are batched into chunks of about this many characters before each write. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A response body in chunks of about CHUNK_CHARS characters: the opening, every row of every
 * bucket, then the closing, which always ends the last chunk.
 */
export function* encodedChunks(
  encoder: RowEncoder,
  resolved: ResolvedExport,
  buckets: Iterable<BucketSums>,
): Generator<string> {
  let chunk = encoder.opening;
  let first = true;
  for (const bucket of buckets) {
    for (const group of rowGroupsOf(resolved, bucket)) {
      chunk += encoder.row(bucket.timestamp, group, bucket.sums, bucket.lengthMs, first);
      first = false;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk + encoder.closing;
}

/** The body of every error response, whatever format was asked for. */
export function errorBody(message: string): string {
  return JSON.stringify({ error: true, message });
}
