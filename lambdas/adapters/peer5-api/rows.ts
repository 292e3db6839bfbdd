/**
 * Turns parsed JSON objects or CSV records into typed ExportRows, checking each against the
 * request it answers. An error names the row (index and timestamp) and the field.
 */
import type { Dimension, ExportRequest, ExportRow, Metric } from '../../core/contract.ts';
import { INTERVAL_MS } from '../../core/contract.ts';
import type { CsvLines } from '../../core/csv-lines.ts';
import { isoTime } from '../../core/dates.ts';
import { ExportRowError } from '../../core/export-errors.ts';
import type { CsvField } from './csv-records.ts';

/** The columns of a response, in the API's order: timestamp, dimensions, then metrics. */
export function responseColumns(request: ExportRequest): string[] {
  return ['timestamp', ...(request.dimensions ?? []), ...request.metrics];
}

/** A CSV number: bare digits with an optional fraction or exponent, nothing else. */
const CSV_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export class RowChecker {
  private readonly bucket: number;
  private readonly dimensions: readonly Dimension[];
  private readonly metrics: readonly Metric[];
  private readonly columns: string[];
  private index = 0;
  private previousTimestamp = -Infinity;

  constructor(private readonly request: ExportRequest) {
    this.bucket = INTERVAL_MS[request.interval];
    this.dimensions = request.dimensions ?? [];
    this.metrics = request.metrics;
    this.columns = responseColumns(request);
  }

  /** Rows checked so far. */
  get count(): number {
    return this.index;
  }

  /** Checks the CSV header line against the columns the request asks for. */
  checkHeader(header: readonly CsvField[]): void {
    const expected = this.columns;
    const same = header.length === expected.length && header.every((name, i) => name === expected[i]);
    if (!same) {
      throw new ExportRowError(
        `the CSV header is ${JSON.stringify(header)}, expected ${JSON.stringify(expected)}`,
        { rowIndex: -1, timestamp: undefined, field: 'header' },
        { request: this.request },
      );
    }
  }

  fromJson(raw: Record<string, unknown>): ExportRow {
    const rawTimestamp = raw.timestamp;
    const timestamp = this.checkTimestamp(
      typeof rawTimestamp === 'number' ? rawTimestamp : Number.NaN,
      rawTimestamp,
    );
    const dimensions: Partial<Record<Dimension, string | null>> = {};
    for (const dimension of this.dimensions) {
      const value = raw[dimension];
      if (value === undefined) this.fail(timestamp, dimension, 'is missing');
      if (value !== null && typeof value !== 'string')
        this.fail(timestamp, dimension, 'must be a string or null');
      dimensions[dimension] = value;
    }
    const metrics: Partial<Record<Metric, number>> = {};
    for (const metric of this.metrics) {
      const value = raw[metric];
      if (value === undefined) this.fail(timestamp, metric, 'is missing');
      if (typeof value !== 'number') this.fail(timestamp, metric, 'must be a number');
      metrics[metric] = this.checkMetric(timestamp, metric, value);
    }
    this.index++;
    return { timestamp, dimensions, metrics };
  }

  fromCsv(record: readonly CsvField[]): ExportRow {
    const rawTimestamp = record[0];
    const timestamp = this.checkTimestamp(
      typeof rawTimestamp === 'string' && CSV_NUMBER.test(rawTimestamp) ? Number(rawTimestamp) : Number.NaN,
      rawTimestamp,
    );
    if (record.length !== this.columns.length) {
      this.fail(timestamp, 'row', `has ${record.length} fields, expected ${this.columns.length}`);
    }
    const dimensions: Partial<Record<Dimension, string | null>> = {};
    let column = 1;
    for (const dimension of this.dimensions) {
      dimensions[dimension] = record[column++] ?? null;
    }
    const metrics: Partial<Record<Metric, number>> = {};
    for (const metric of this.metrics) {
      const text = record[column++];
      if (text === null || text === undefined || text === '') this.fail(timestamp, metric, 'is empty');
      if (!CSV_NUMBER.test(text)) this.fail(timestamp, metric, 'must be a number');
      metrics[metric] = this.checkMetric(timestamp, metric, Number(text));
    }
    this.index++;
    return { timestamp, dimensions, metrics };
  }

  /**
   * Checks the rows the line reader read in place, in their turn: each timestamp, as `fromCsv`
   * would (every other check `fromCsv` makes, such a line passes by its form).
   */
  checkLines(lines: CsvLines): CsvLines {
    const { timestamps, length } = lines;
    for (let i = 0; i < length; i++) {
      const timestamp = timestamps[i] as number;
      this.checkTimestamp(timestamp, timestamp);
      this.index++;
    }
    return lines;
  }

  private checkTimestamp(value: number, raw: unknown): number {
    const field = 'timestamp';
    if (!Number.isSafeInteger(value)) {
      this.fail(
        undefined,
        field,
        `must be an integer in milliseconds; got ${JSON.stringify(raw) ?? 'nothing'}`,
      );
    }
    if (value % this.bucket !== 0) {
      this.fail(value, field, `is not aligned to the ${this.request.interval} interval`);
    }
    if (value < this.request.from || value >= this.request.to) {
      this.fail(
        value,
        field,
        `is outside the requested range [${isoTime(this.request.from)}, ${isoTime(this.request.to)})`,
      );
    }
    if (value < this.previousTimestamp) {
      this.fail(
        value,
        field,
        `goes back in time (the previous row was at ${isoTime(this.previousTimestamp)})`,
      );
    }
    this.previousTimestamp = value;
    return value;
  }

  private checkMetric(timestamp: number, metric: Metric, value: number): number {
    if (!Number.isFinite(value)) this.fail(timestamp, metric, 'must be a finite number');
    if (value < 0) this.fail(timestamp, metric, `must be >= 0; got ${value}`);
    return value;
  }

  private fail(timestamp: number | undefined, field: string, rule: string): never {
    const at = timestamp === undefined ? '' : ` (timestamp ${timestamp}, ${isoTime(timestamp)})`;
    throw new ExportRowError(
      `row ${this.index}${at} of the ${this.request.interval} response: "${field}" ${rule}`,
      { rowIndex: this.index, timestamp, field },
      { request: this.request },
    );
  }
}
