/**
 * Streams a CSV export body, fed as decoded text chunks, into records of fields: a quoted field is
 * a string (possibly empty), an unquoted empty field is null (the contract's unknown value).
 *
 * The dialect is the contract's, and only that: comma-separated, `"` quoting with `""` inside,
 * every line ending in `\n` (a `\r` before it is tolerated). A small dedicated scanner rather than a
 * general CSV library, because the null-versus-empty distinction needs to know whether each field
 * was quoted, and asking a general parser for that per field made it an order of magnitude slower.
 *
 * Two more things the contract asks for:
 * - errors come as a JSON body whatever format was asked for, and proxies answer with HTML, so
 *   the first non-blank character is sniffed before any CSV is parsed;
 * - a record is released only once its `\n` has arrived, so a body cut off mid-row never delivers
 *   the partial row as data; it ends in a `truncated` error instead.
 */
import { apiErrorMessage, BodyParseError, MAX_BUFFERED_VALUE } from './body-error.ts';
import { CHAR } from './char-codes.ts';

const { QUOTE, COMMA, NEWLINE, CARRIAGE_RETURN } = CHAR;

export type CsvField = string | null;

/**
 * A fast path for whole lines: given the text and a line's bounds (`end` is its `\n`), returns
 * what that line stands for, or undefined to have the parser read it as usual. Never called for
 * the header line, or for a line that starts in one chunk and ends in another.
 */
export type CsvLineReader<T> = (text: string, start: number, end: number) => T | undefined;

type State = 'field-start' | 'bare' | 'quoted' | 'quote-in-quoted' | 'carriage-return';

export class CsvRecordParser<T = never> {
  private state: State = 'field-start';
  private fields: CsvField[] = [];
  private field = '';
  private lines = 0;
  private started = false;

  constructor(private readonly readLine?: CsvLineReader<T>) {}

  /**
   * Feeds the next chunk of text; returns, in order, the records whose line ended within it, and
   * what the line reader made of the lines it took.
   */
  push(chunk: string): (CsvField[] | T)[] {
    const out: (CsvField[] | T)[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const length = text.length;
    let i = 0;
    while (i < length) {
      switch (this.state) {
        case 'field-start':
          if (this.readLine !== undefined && this.fields.length === 0 && this.lines > 0) {
            const end = text.indexOf('\n', i);
            const read = end >= 0 && end - i <= MAX_BUFFERED_VALUE ? this.readLine(text, i, end) : undefined;
            if (read !== undefined) {
              out.push(read);
              this.lines++;
              i = end + 1;
              break;
            }
          }
          if (text.charCodeAt(i) === QUOTE) {
            this.state = 'quoted';
            i++;
          } else {
            this.state = 'bare';
          }
          break;
        case 'bare': {
          let j = i;
          let code = 0;
          while (j < length) {
            code = text.charCodeAt(j);
            if (code === COMMA || code === NEWLINE || code === QUOTE) break;
            j++;
          }
          this.append(text, i, j);
          if (j === length) return out;
          if (code === QUOTE) throw this.malformed('a bare field holds a double quote');
          let value = this.field;
          if (code === NEWLINE && value.endsWith('\r')) value = value.slice(0, -1);
          this.fields.push(value === '' ? null : value);
          this.field = '';
          this.state = 'field-start';
          if (code === NEWLINE) this.endRecord(out);
          i = j + 1;
          break;
        }
        case 'quoted': {
          const close = text.indexOf('"', i);
          if (close < 0) {
            this.append(text, i, length);
            return out;
          }
          this.append(text, i, close);
          this.state = 'quote-in-quoted';
          i = close + 1;
          break;
        }
        case 'quote-in-quoted': {
          const code = text.charCodeAt(i);
          if (code === QUOTE) {
            this.field += '"';
            this.state = 'quoted';
          } else if (code === COMMA || code === NEWLINE) {
            this.fields.push(this.field);
            this.field = '';
            this.state = 'field-start';
            if (code === NEWLINE) this.endRecord(out);
          } else if (code === CARRIAGE_RETURN) {
            this.fields.push(this.field);
            this.field = '';
            this.state = 'carriage-return';
          } else {
            throw this.malformed('a closing quote is followed by text');
          }
          i++;
          break;
        }
        case 'carriage-return':
          if (text.charCodeAt(i) !== NEWLINE) throw this.malformed('a "\\r" is not followed by "\\n"');
          this.state = 'field-start';
          this.endRecord(out);
          i++;
          break;
      }
    }
    return out;
  }

  /** Call after the last chunk: throws when the body did not end with a complete line. */
  end(): void {
    if (this.state !== 'field-start' || this.fields.length > 0) {
      throw new BodyParseError(
        'truncated',
        `the CSV body ended mid-row: its last line has no "\\n" (after ${this.lines} complete lines)`,
      );
    }
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    if (this.field.length + (to - from) > MAX_BUFFERED_VALUE) {
      throw this.malformed(`a field is longer than ${MAX_BUFFERED_VALUE} characters`);
    }
    this.field += text.slice(from, to);
  }

  private endRecord(out: (CsvField[] | T)[]): void {
    out.push(this.fields);
    this.fields = [];
    this.lines++;
  }

  private malformed(rule: string): BodyParseError {
    return new BodyParseError('malformed', `the CSV body is malformed at line ${this.lines + 1}: ${rule}`);
  }
}

async function readErrorBody(first: string, rest: AsyncIterator<string>): Promise<never> {
  let text = first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    text += next.value;
    if (text.length > MAX_BUFFERED_VALUE) break;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BodyParseError('malformed', 'the body is neither CSV nor valid JSON');
  }
  if (typeof parsed === 'object' && parsed !== null && (parsed as { error?: unknown }).error === true) {
    const message = apiErrorMessage(parsed);
    throw new BodyParseError(
      'api-error',
      message === undefined
        ? 'the API answered {"error": true} without a message'
        : `the API answered with an error: ${message}`,
    );
  }
  throw new BodyParseError('malformed', 'the body is JSON, but CSV was asked for');
}

/**
 * Sniffs the body, then streams its CSV records in batches (one per chunk of text, so an async hop
 * is paid per chunk rather than per row); the first record is the header.
 */
export async function* parseCsvBody<T = never>(
  chunks: AsyncIterable<string>,
  readLine?: CsvLineReader<T>,
): AsyncGenerator<(CsvField[] | T)[]> {
  const iterator = chunks[Symbol.asyncIterator]();
  let head = '';
  let first = '';
  while (first === '') {
    const next = await iterator.next();
    if (next.done) {
      if (head.length === 0) throw new BodyParseError('truncated', 'the CSV body is empty (no header line)');
      throw new BodyParseError('truncated', 'the CSV body holds only blank text (no header line)');
    }
    head += next.value;
    first = head.replace(/^[\s\uFEFF]+/, '').charAt(0);
  }
  if (first === '{') await readErrorBody(head, iterator);
  if (first === '<') throw new BodyParseError('malformed', 'the body is an HTML page, not CSV data');

  const parser = new CsvRecordParser(readLine);
  try {
    yield parser.push(head);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield parser.push(next.value);
    }
    parser.end();
  } finally {
    // Stops the source too when the consumer stops early.
    await iterator.return?.();
  }
}
