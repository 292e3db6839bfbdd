/**
 * Reads CSV text, fed in chunks, into records of fields: a quoted field is a string (possibly
 * empty), an unquoted empty field is null (the contract's unknown value).
 *
 * The dialect is the contract's, and only that: comma-separated, `"` quoting with `""` inside,
 * every line ending in `\n` (a `\r` before it is tolerated). A small dedicated scanner rather than a
 * general CSV library, because the null-versus-empty distinction needs to know whether each field
 * was quoted, and asking a general parser for that per field made it an order of magnitude slower.
 * A record is released only once its `\n` has arrived, so a body cut off mid-row never delivers
 * the partial row as data. The body reader (csv-body.ts) hands it the header and every line its
 * fast path does not read.
 */

import { CHAR } from '../../core/char-codes.ts';
import { BodyParseError, MAX_BUFFERED_VALUE } from './body-error.ts';

const { QUOTE, COMMA, NEWLINE, CARRIAGE_RETURN } = CHAR;

export type CsvField = string | null;

type State = 'field-start' | 'bare' | 'quoted' | 'quote-in-quoted' | 'carriage-return';

export class CsvRecordParser {
  private state: State = 'field-start';
  private fields: CsvField[] = [];
  private field = '';
  private lines = 0;
  private started = false;

  /** True between records: no field of a record has been read yet. */
  get atRecordStart(): boolean {
    return this.state === 'field-start' && this.fields.length === 0;
  }

  /** Lines read so far, header included. */
  get lineCount(): number {
    return this.lines;
  }

  /** Counts lines read elsewhere (by a fast path), so that an error names the right line. */
  countLines(lines: number): void {
    this.lines += lines;
  }

  /** Feeds the next chunk of text; returns, in order, the records whose line ended within it. */
  push(chunk: string): CsvField[][] {
    const out: CsvField[][] = [];
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

  private endRecord(out: CsvField[][]): void {
    out.push(this.fields);
    this.fields = [];
    this.lines++;
  }

  private malformed(rule: string): BodyParseError {
    return new BodyParseError('malformed', `the CSV body is malformed at line ${this.lines + 1}: ${rule}`);
  }
}
