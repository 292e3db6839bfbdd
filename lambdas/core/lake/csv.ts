/**
 * The lake's CSV dialect: what Athena's OpenCSVSerDe reads back exactly, and nothing fancier.
 *
 * - Header row = the dataset's column names; one line per row, each ending in `\n` (Hive's line
 *   reader also splits on `\r`, so neither may appear inside a value: both become a space).
 * - `timestamp` is the bucket start as integer epoch milliseconds (OpenCSVSerDe reads BIGINT and
 *   TIMESTAMP-as-millis, never an ISO string).
 * - A dimension whose value is unknown (null) is an empty, unquoted field. An empty string is
 *   written `""` so readers that tell the two apart can; Athena reads both as ''.
 * - Metrics are never empty: OpenCSVSerDe fails the query on an empty numeric field.
 * - RFC 4180 quoting: a value is quoted when it contains `,` `"` or `\`, starts or ends with
 *   whitespace, or is empty; inside quotes `"` is doubled.
 * - Backslashes: OpenCSVSerDe treats `escapeChar` (default `\`) as an escape even inside quotes
 *   and silently DROPS a backslash that is not followed by a quote or another backslash, so
 *   `C:\temp` would read back as `C:temp`. The writer therefore doubles every backslash (and
 *   quotes the value, because outside quotes a leading escape is dropped as well). The Glue table
 *   must keep `escapeChar` = `\` for `\\` to read back as one `\`; see LAKE_SERDE_PARAMETERS.
 */
import type { ExportRow } from '../contract.ts';
import { CsvExportRow } from '../csv-row.ts';
import { columnsOf, type DatasetDefinition } from '../datasets.ts';

/**
 * The OpenCSVSerDe parameters the Glue tables must carry for the files this module writes
 * (plus the table parameter `skip.header.line.count` = `1`).
 */
export const LAKE_SERDE_PARAMETERS = {
  separatorChar: ',',
  quoteChar: '"',
  escapeChar: '\\',
} as const;

export const LAKE_SERDE_LIBRARY = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';

/** Table parameters that go with the SerDe: the first line of every object is the header. */
export const LAKE_TABLE_PARAMETERS = { 'skip.header.line.count': '1' } as const;

export const LAKE_CONTENT_TYPE = 'text/csv; charset=utf-8';
export const LAKE_CONTENT_ENCODING = 'gzip';

/** A row cannot be written without breaking the lake's format; names the row and the field. */
export class LakeRowError extends Error {
  override readonly name = 'LakeRowError';
  readonly field: string;
  readonly timestamp: number | undefined;
  constructor(message: string, field: string, timestamp: number | undefined) {
    super(message);
    this.field = field;
    this.timestamp = timestamp;
  }
}

/** A line of a lake object that is not the dialect above. */
export class LakeCsvParseError extends Error {
  override readonly name = 'LakeCsvParseError';
}

const LINE_BREAKS = /\r\n|[\r\n]/g;
const NEEDS_QUOTES = /[",\\]|^\s|\s$/;
/** Anything that needs work: most values have none and are written as they are. */
const SPECIAL = /[",\\\r\n]|^\s|\s$/;

/** Encodes one text value (a dimension or a header name) as a CSV field. */
export function encodeTextField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (value === '') return '""';
  if (!SPECIAL.test(value)) return value;
  const flat = value.replace(LINE_BREAKS, ' ');
  if (!NEEDS_QUOTES.test(flat)) return flat;
  return `"${flat.replaceAll('\\', '\\\\').replaceAll('"', '""')}"`;
}

function describeAt(timestamp: number): string {
  return Number.isSafeInteger(timestamp) && Math.abs(timestamp) < 8.64e15
    ? `${timestamp} (${new Date(timestamp).toISOString()})`
    : String(timestamp);
}

/** Turns a dataset's rows into lines of the lake's CSV dialect. Pure; one string per line. */
export class LakeCsvEncoder {
  readonly header: string;
  private readonly dimensions: readonly string[];
  private readonly metrics: readonly string[];
  /** Per metric: true when its column is bigint and the value must be a whole number. */
  private readonly whole: readonly boolean[];
  /** The same, as a bit mask (bit i for metric i), for rows that carry their metric text. */
  private readonly wholeMask: number;
  /** The last metric list a row carried text for that is this encoder's metrics, in its order. */
  private accepted: readonly string[] | undefined;

  constructor(dataset: DatasetDefinition) {
    const columns = columnsOf(dataset);
    this.header = `${columns.map((column) => encodeTextField(column.name)).join(',')}\n`;
    const metricColumns = columns.filter(
      (column) => column.source !== 'timestamp' && column.type !== 'string',
    );
    this.dimensions = columns.filter((column) => column.type === 'string').map((column) => column.source);
    this.metrics = metricColumns.map((column) => column.source);
    this.whole = metricColumns.map((column) => column.type === 'bigint');
    this.wholeMask = this.whole.reduce((mask, whole, i) => (whole ? mask | (1 << i) : mask), 0);
  }

  /** One CSV line, `\n` included. */
  line(row: ExportRow): string {
    const { timestamp } = row;
    if (!Number.isSafeInteger(timestamp)) {
      throw new LakeRowError(
        `row timestamp must be an integer in epoch milliseconds, got ${String(timestamp)}`,
        'timestamp',
        undefined,
      );
    }
    let line = String(timestamp);
    const dimensions = row.dimensions as Readonly<Record<string, string | null | undefined>>;
    for (const dimension of this.dimensions) line += `,${encodeTextField(dimensions[dimension])}`;
    // The API's own text for the metrics, when it is already what the loop below would write.
    const text = this.metricsTextOf(row);
    if (text !== undefined) return `${line},${text}\n`;
    const metrics = row.metrics as Readonly<Record<string, number | undefined>>;
    for (let i = 0; i < this.metrics.length; i++) {
      const metric = this.metrics[i] as string;
      const value = metrics[metric];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new LakeRowError(
          `row at ${describeAt(timestamp)}: metric "${metric}" must be a finite number (a numeric column is never written empty), got ${String(value)}`,
          metric,
          timestamp,
        );
      }
      if (this.whole[i] && !Number.isSafeInteger(value)) {
        throw new LakeRowError(
          `row at ${describeAt(timestamp)}: metric "${metric}" must be a whole number for its bigint column, got ${value}`,
          metric,
          timestamp,
        );
      }
      line += `,${value}`;
    }
    return `${line}\n`;
  }

  /**
   * The metric text `row` carries, if it names this encoder's metrics in its order and none of
   * the bigint ones has a fraction (that row takes the loop, which names the rule it breaks).
   */
  private metricsTextOf(row: ExportRow): string | undefined {
    const names = CsvExportRow.metricNames(row);
    if (names === undefined) return undefined;
    if (names !== this.accepted) {
      const same = names.length === this.metrics.length && names.every((name, i) => name === this.metrics[i]);
      if (!same) return undefined;
      this.accepted = names;
    }
    return CsvExportRow.metricsText(row, names, this.wholeMask);
  }
}

/**
 * Splits one line of the dialect back into fields: null for an empty unquoted field, the exact
 * string otherwise (doubled quotes and doubled backslashes undone). The inverse of the encoder.
 */
export function decodeLakeCsvLine(line: string): (string | null)[] {
  const fields: (string | null)[] = [];
  let position = 0;
  const length = line.length;
  for (;;) {
    if (position < length && line.charCodeAt(position) === 34 /* " */) {
      let value = '';
      let cursor = position + 1;
      for (;;) {
        if (cursor >= length) throw new LakeCsvParseError(`unterminated quoted field at column ${position}`);
        const char = line[cursor] as string;
        if (char === '"') {
          if (line[cursor + 1] === '"') {
            value += '"';
            cursor += 2;
            continue;
          }
          cursor += 1;
          break;
        }
        if (char === '\\') {
          const next = line[cursor + 1];
          if (next !== '\\' && next !== '"') {
            throw new LakeCsvParseError(`lone backslash inside a quoted field at column ${cursor}`);
          }
          value += next;
          cursor += 2;
          continue;
        }
        value += char;
        cursor += 1;
      }
      fields.push(value);
      position = cursor;
    } else {
      const comma = line.indexOf(',', position);
      const end = comma === -1 ? length : comma;
      const raw = line.slice(position, end);
      if (raw.includes('"') || raw.includes('\\')) {
        throw new LakeCsvParseError(`unquoted field with a quote or backslash at column ${position}`);
      }
      fields.push(raw === '' ? null : raw);
      position = end;
    }
    if (position >= length) return fields;
    if (line[position] !== ',') throw new LakeCsvParseError(`expected "," at column ${position}`);
    position += 1;
    if (position === length) {
      fields.push(null);
      return fields;
    }
  }
}
