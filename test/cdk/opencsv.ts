/**
 * A line-for-line port of `au.com.bytecode.opencsv.CSVParser.parseLine` (opencsv 2.3), the parser
 * behind Hive's OpenCSVSerde that Athena uses, as Hive configures it: strictQuotes off, leading
 * white space ignored, a new parser per row. Lets a test check that the Glue table's SerDe
 * parameters read back exactly what the lake writer wrote, quirks included (an escape character
 * not followed by a quote or another escape is dropped).
 */
export interface OpenCsvParameters {
  readonly separatorChar: string;
  readonly quoteChar: string;
  readonly escapeChar: string;
}

function isAllWhiteSpace(text: string): boolean {
  return /^\s*$/.test(text);
}

export function openCsvParseLine(line: string, parameters: OpenCsvParameters): string[] {
  const separator = parameters.separatorChar[0];
  const quote = parameters.quoteChar[0];
  const escapeChar = parameters.escapeChar[0];
  if (separator === quote || separator === escapeChar || quote === escapeChar) {
    throw new Error('The separator, quote, and escape characters must be different!');
  }
  const tokens: string[] = [];
  let sb = '';
  let inQuotes = false;
  let inField = false;
  const escapable = (i: number, active: boolean) =>
    active && line.length > i + 1 && (line[i + 1] === quote || line[i + 1] === escapeChar);
  const escapedQuote = (i: number, active: boolean) => active && line.length > i + 1 && line[i + 1] === quote;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === escapeChar) {
      if (escapable(i, inQuotes || inField)) {
        sb += line[i + 1];
        i++;
      }
    } else if (c === quote) {
      if (escapedQuote(i, inQuotes || inField)) {
        sb += line[i + 1];
        i++;
      } else {
        // opencsv's "embedded quote in the middle of a field" case.
        if (i > 2 && line[i - 1] !== separator && line.length > i + 1 && line[i + 1] !== separator) {
          if (sb.length > 0 && isAllWhiteSpace(sb)) sb = '';
          else sb += c;
        }
        inQuotes = !inQuotes;
      }
      inField = !inField;
    } else if (c === separator && !inQuotes) {
      tokens.push(sb);
      sb = '';
      inField = false;
    } else {
      sb += c;
      inField = true;
    }
  }
  if (inQuotes) throw new Error('Un-terminated quoted field at end of CSV line');
  tokens.push(sb);
  return tokens;
}
