/**
 * Turns parsed JSON objects or CSV records into typed ExportRows, checking each against the
 * request it answers. An error names the row (index and timestamp) and the field.
 */
import type { Dimension, ExportRequest, ExportRow, Metric } from '../../core/contract.ts';
import { INTERVAL_MS } from '../../core/contract.ts';
import { CsvExportRow } from '../../core/csv-row.ts';
import { isoTime } from '../../core/dates.ts';
import { ExportRowError } from '../../core/export-errors.ts';
import { CHAR } from './char-codes.ts';
import type { CsvField } from './csv-body.ts';

const { COMMA, QUOTE, DOT, ZERO, NINE, CARRIAGE_RETURN } = CHAR;

/** The columns of a response, in the API's order: timestamp, dimensions, then metrics. */
export function responseColumns(request: ExportRequest): string[] {
  return ['timestamp', ...(request.dimensions ?? []), ...request.metrics];
}

/** A CSV number: bare digits with an optional fraction or exponent, nothing else. */
const CSV_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Digits the fast path reads into a number exactly (below 2^53, and 10^n exact as a double). */
const MAX_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_DIGITS + 1 }, (_, n) => 10 ** n);
/** Below this, `String(value)` switches to exponent notation, unlike the API's text. */
const SMALLEST_PLAIN = 1e-6;

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
   * The fast path for one CSV line, `text` from `start` to its `\n` at `end`: reads the fields in
   * place, without a record or a regular expression, when the line is of the plain form the API
   * sends (timestamp and metrics as bare digits with an optional fraction, dimensions quoted
   * without inner quotes, or bare, or empty). Any other line gives undefined, and the caller hands
   * it to the general parser and `fromCsv`, which accept or refuse it with their own messages.
   * Reads only: `checkRead` then makes, in the body's order, the checks this reading leaves (a
   * line read here passes every other check `fromCsv` makes).
   */
  readCsvLine(text: string, start: number, end: number): ExportRow | undefined {
    if (end <= start || text.charCodeAt(end - 1) === CARRIAGE_RETURN) return undefined;
    let at = start;
    let timestamp = 0;
    for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(++at)) {
      timestamp = timestamp * 10 + (code - ZERO);
    }
    if (at === start || at - start > MAX_DIGITS || at >= end || text.charCodeAt(at) !== COMMA)
      return undefined;
    at++;
    const dimensions: Partial<Record<Dimension, string | null>> = {};
    for (const dimension of this.dimensions) {
      if (text.charCodeAt(at) === QUOTE) {
        const close = text.indexOf('"', at + 1);
        if (close < 0 || close + 1 >= end || text.charCodeAt(close + 1) !== COMMA) return undefined;
        dimensions[dimension] = text.slice(at + 1, close);
        at = close + 2;
      } else {
        const comma = text.indexOf(',', at);
        if (comma < 0 || comma >= end) return undefined;
        const quote = text.indexOf('"', at);
        if (quote >= 0 && quote < comma) return undefined;
        dimensions[dimension] = comma === at ? null : text.slice(at, comma);
        at = comma + 1;
      }
    }
    const metrics: Partial<Record<Metric, number>> = {};
    const metricsStart = at;
    const last = this.metrics.length - 1;
    let fractions = 0;
    let canonical = true;
    for (let m = 0; m <= last; m++) {
      const first = at;
      let digits = 0;
      for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(++at)) {
        digits = digits * 10 + (code - ZERO);
      }
      const whole = at - first;
      if (whole === 0 || whole > MAX_DIGITS) return undefined;
      const leadingZero = whole > 1 && text.charCodeAt(first) === ZERO;
      let value = digits;
      if (at < end && text.charCodeAt(at) === DOT) {
        const point = at++;
        for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(++at)) {
          digits = digits * 10 + (code - ZERO);
        }
        const decimals = at - point - 1;
        if (decimals === 0 || whole + decimals > MAX_DIGITS) return undefined;
        // One correctly rounded division of two exact integers: the double Number(text) gives.
        value = digits / (POWERS_OF_TEN[decimals] as number);
        fractions |= 1 << m;
        if (text.charCodeAt(at - 1) === ZERO || value < SMALLEST_PLAIN) canonical = false;
      }
      if (leadingZero) canonical = false;
      if (m === last ? at !== end : at >= end || text.charCodeAt(at) !== COMMA) return undefined;
      metrics[this.metrics[m] as Metric] = value;
      at++;
    }
    if (!canonical || last > 30) return { timestamp, dimensions, metrics };
    return new CsvExportRow(
      timestamp,
      dimensions,
      metrics,
      text.slice(metricsStart, end),
      this.metrics,
      fractions,
    );
  }

  /** Checks a row `readCsvLine` read, in its turn: its timestamp, as `fromCsv` would. */
  checkRead(row: ExportRow): ExportRow {
    this.checkTimestamp(row.timestamp, row.timestamp);
    this.index++;
    return row;
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
