/**
 * A line-for-line port of the parser Athena uses for OpenCSVSerDe tables:
 * `au.com.bytecode.opencsv.CSVParser.parseLine` (opencsv 2.3) as Hive's OpenCSVSerde configures
 * it (strictQuotes off, leading white space ignored, a new parser per row), which Trino's
 * CsvDeserializer re-implements bug for bug. Lets tests check that what the lake writes, with the
 * SerDe parameters the Glue tables declare, reads back exactly in Athena, quirks included (an
 * escape character not followed by a quote or another escape is dropped).
 */
export interface OpenCsvParameters {
  readonly separatorChar?: string;
  readonly quoteChar?: string;
  readonly escapeChar?: string;
}

function isAllWhitespace(text: string): boolean {
  return /^\s*$/.test(text);
}

/** Every field of one line (no line terminator), and whether it ends inside a quoted field. */
function scanLine(line: string, parameters: OpenCsvParameters): { fields: string[]; unterminated: boolean } {
  const separator = (parameters.separatorChar ?? ',')[0];
  const quote = (parameters.quoteChar ?? '"')[0];
  const escapeChar = (parameters.escapeChar ?? '\\')[0];
  if (separator === quote || separator === escapeChar || quote === escapeChar) {
    throw new Error('The separator, quote, and escape characters must be different!');
  }
  const fields: string[] = [];
  let buffer = '';
  let inQuotes = false;
  let inField = false;
  const next = (i: number) => (line.length > i + 1 ? line[i + 1] : undefined);
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === escapeChar) {
      if ((inQuotes || inField) && (next(i) === quote || next(i) === escapeChar)) {
        buffer += line[i + 1];
        i++;
      }
    } else if (c === quote) {
      if ((inQuotes || inField) && next(i) === quote) {
        buffer += line[i + 1];
        i++;
      } else {
        // opencsv's "embedded quote in the middle of a field" case.
        if (i > 2 && line[i - 1] !== separator && line.length > i + 1 && line[i + 1] !== separator) {
          if (buffer.length > 0 && isAllWhitespace(buffer)) buffer = '';
          else buffer += c;
        }
        inQuotes = !inQuotes;
      }
      inField = !inField;
    } else if (c === separator && !inQuotes) {
      fields.push(buffer);
      buffer = '';
      inField = false;
    } else {
      buffer += c;
      inField = true;
    }
  }
  fields.push(buffer);
  return { fields, unterminated: inQuotes };
}

/** opencsv's `parseLine`: every field of the line; a quoted field left open at its end is an error. */
export function openCsvFields(line: string, parameters: OpenCsvParameters = {}): string[] {
  const { fields, unterminated } = scanLine(line, parameters);
  if (unterminated) throw new Error('Un-terminated quoted field at end of CSV line');
  return fields;
}

/**
 * One line as Athena reads it into a table of `columnCount` columns: fields beyond the last
 * column are dropped, missing ones are null, and so is a field left in open quotes at the end.
 */
export function parseOpenCsvLine(
  line: string,
  columnCount: number,
  parameters: OpenCsvParameters = {},
): (string | null)[] {
  const rowValues: (string | null)[] = new Array(columnCount).fill(null);
  if (line.length === 0) return rowValues;
  const { fields, unterminated } = scanLine(line, parameters);
  const complete = unterminated ? fields.length - 1 : fields.length;
  for (let column = 0; column < Math.min(complete, columnCount); column++) {
    rowValues[column] = fields[column] ?? null;
  }
  return rowValues;
}
