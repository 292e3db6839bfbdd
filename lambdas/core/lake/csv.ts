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

import { CHAR } from '../char-codes.ts';
import type { ExportRow } from '../contract.ts';
import { type CsvLines, METRICS_NOT_CANONICAL } from '../csv-lines.ts';
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

const { TAB, NEWLINE, CARRIAGE_RETURN, SPACE, QUOTE, COMMA, BACKSLASH } = CHAR;
/** From here on a byte is part of a multi-byte character, which might be whitespace to `\s`. */
const FIRST_NON_ASCII = 0x80;

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
  /** The same, as a bit mask (bit i for metric i), for rows copied from CSV bytes. */
  private readonly wholeMask: number;
  /** The last column lists of CsvLines found to be this encoder's columns, in its order. */
  private acceptedDimensions: readonly string[] | undefined;
  private acceptedMetrics: readonly string[] | undefined;

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
   * Writes row `i` of `lines` into `out` at `at` as the line `line` would write, by copying the
   * row's bytes, when each of its fields is already written that way; returns where the line ends
   * in `out`, or -1 when the row needs `line` (a value to quote or flatten, a number to format, or
   * columns in another order). `out` must have room from `at` for the row's line as the API wrote
   * it and two quotes per dimension (a bare value may need them), which the lake's line never
   * exceeds.
   */
  copyLine(lines: CsvLines, i: number, out: Buffer, at: number): number {
    const fraction = lines.fractions(i);
    if (fraction === METRICS_NOT_CANONICAL || (fraction & this.wholeMask) !== 0) return -1;
    if (lines.dimensions !== this.acceptedDimensions || lines.metrics !== this.acceptedMetrics) {
      if (!sameNames(lines.dimensions, this.dimensions) || !sameNames(lines.metrics, this.metrics)) return -1;
      this.acceptedDimensions = lines.dimensions;
      this.acceptedMetrics = lines.metrics;
    }
    const { bytes, fields } = lines;
    let slot = i * lines.stride;
    let o = at;
    for (let p = fields[slot] as number, end = fields[slot + 1] as number; p < end; p++) {
      out[o++] = bytes[p] as number;
    }
    slot += 2;
    for (let d = this.dimensions.length; d > 0; d--, slot += 2) {
      out[o++] = COMMA;
      const start = fields[slot] as number;
      const end = fields[slot + 1] as number;
      if (start < 0) continue;
      if (start === end) {
        out[o++] = QUOTE;
        out[o++] = QUOTE;
        continue;
      }
      // SPECIAL on bytes, in the same pass as the copy. A quote reaches here doubled, as the lake
      // writes it inside quotes, and a `\n` never does (the reader's form).
      const copied = o;
      let found = 0;
      for (let p = start; p < end; p++) {
        const byte = bytes[p] as number;
        found |= BYTE_NEEDS[byte] as number;
        out[o++] = byte;
      }
      if ((found & NEEDS_LINE) !== 0) return -1;
      if ((found & NEEDS_QUOTES_BYTE) !== 0 || spaceAtStart(bytes, start) || spaceAtEnd(bytes, end)) {
        out.copyWithin(copied + 1, copied, o);
        out[copied] = QUOTE;
        out[o + 1] = QUOTE;
        o += 2;
      }
    }
    out[o++] = COMMA;
    for (let p = fields[slot] as number, end = fields[slot + 1] as number; p < end; p++) {
      out[o++] = bytes[p] as number;
    }
    out[o++] = NEWLINE;
    return o;
  }
}

/** Per byte of a dimension's text: what it asks of the copy (nothing for most). */
const NEEDS_QUOTES_BYTE = 1;
const NEEDS_LINE = 2;
const BYTE_NEEDS = new Uint8Array(256);
BYTE_NEEDS[COMMA] = NEEDS_QUOTES_BYTE;
BYTE_NEEDS[QUOTE] = NEEDS_QUOTES_BYTE;
// Doubled, or flattened to a space: `line` does that.
BYTE_NEEDS[BACKSLASH] = NEEDS_LINE;
BYTE_NEEDS[CARRIAGE_RETURN] = NEEDS_LINE;

/**
 * Code points `\s` matches beyond ASCII (ECMAScript's WhiteSpace and LineTerminator), written out
 * so that the copy tests a set, not a regex, per edge character; a test checks it against `\s`.
 */
export const NON_ASCII_SPACES: ReadonlySet<number> = new Set([
  0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);

function isAsciiSpace(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CARRIAGE_RETURN);
}

/** Whether the UTF-8 text at `start` begins with a character `\s` matches. */
function spaceAtStart(bytes: Buffer, start: number): boolean {
  const byte = bytes[start] as number;
  if (byte < FIRST_NON_ASCII) return isAsciiSpace(byte);
  return NON_ASCII_SPACES.has(codePointAt(bytes, start));
}

/** Whether the UTF-8 text ending before `end` ends with a character `\s` matches. */
function spaceAtEnd(bytes: Buffer, end: number): boolean {
  const byte = bytes[end - 1] as number;
  if (byte < FIRST_NON_ASCII) return isAsciiSpace(byte);
  let start = end - 1;
  while (((bytes[start] as number) & 0xc0) === 0x80) start--;
  return NON_ASCII_SPACES.has(codePointAt(bytes, start));
}

/** The code point of the (valid) UTF-8 character at `at`. */
function codePointAt(bytes: Buffer, at: number): number {
  const lead = bytes[at] as number;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  let codePoint = lead & (0x7f >> length);
  for (let i = 1; i < length; i++) codePoint = (codePoint << 6) | ((bytes[at + i] as number) & 0x3f);
  return codePoint;
}

function sameNames(names: readonly string[], expected: readonly string[]): boolean {
  return names.length === expected.length && names.every((name, i) => name === expected[i]);
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
