/**
 * A line-for-line port of the parser Athena uses for OpenCSVSerDe tables (Hive's opencsv 2.x
 * CSVParser, as re-implemented bug for bug by Trino's CsvDeserializer), so tests can check that
 * what the lake writes reads back exactly in Athena, quirks included.
 */
export interface OpenCsvOptions {
  readonly separatorChar?: string;
  readonly quoteChar?: string;
  readonly escapeChar?: string;
}

function isAllWhitespace(text: string): boolean {
  return /^\s*$/.test(text);
}

/** Parses one line (no line terminator) into at most `columnCount` values, as Athena would. */
export function parseOpenCsvLine(
  line: string,
  columnCount: number,
  options: OpenCsvOptions = {},
): (string | null)[] {
  const separatorChar = options.separatorChar ?? ',';
  const quoteChar = options.quoteChar ?? '"';
  const escapeChar = options.escapeChar ?? '\\';
  const rowValues: (string | null)[] = new Array(columnCount).fill(null);
  if (line.length === 0) return rowValues;
  let buffer = '';
  let columnIndex = 0;
  let inQuotes = false;
  let inField = false;
  let position = 0;
  const peek = (at: number) => (line.length > at + 1 ? line.charAt(at + 1) : null);
  while (position < line.length && columnIndex < columnCount) {
    const c = line.charAt(position);
    if (c === escapeChar) {
      if (inQuotes || inField) {
        const next = peek(position);
        if (next === quoteChar || next === escapeChar) {
          buffer += line.charAt(position + 1);
          position++;
        }
      }
    } else if (c === quoteChar) {
      if ((inQuotes || inField) && peek(position) === quoteChar) {
        buffer += line.charAt(position + 1);
        position++;
      } else {
        if (
          position > 2 &&
          line.charAt(position - 1) !== separatorChar &&
          line.length > position + 1 &&
          line.charAt(position + 1) !== separatorChar
        ) {
          if (buffer.length > 0 && isAllWhitespace(buffer)) buffer = '';
          else buffer += c;
        }
        inQuotes = !inQuotes;
      }
      inField = !inField;
    } else if (c === separatorChar && !inQuotes) {
      rowValues[columnIndex] = buffer;
      columnIndex++;
      buffer = '';
      inField = false;
    } else {
      buffer += c;
      inField = true;
    }
    position++;
  }
  if (columnIndex < columnCount && !inQuotes) rowValues[columnIndex] = buffer;
  return rowValues;
}
