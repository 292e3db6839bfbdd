/**
 * An incremental parser for the one JSON shape the API answers with,
 * `{"error": false, "data": [row, row, ...]}`, fed decoded text chunk by chunk.
 *
 * The top-level object and the `data` array are walked by a small state machine; each element of
 * `data` (a flat row object) and every other top-level value is cut out as text and handed to
 * `JSON.parse`. Memory therefore holds one row at a time, however long the body is, and a value
 * larger than MAX_BUFFERED_VALUE is refused rather than buffered.
 */

import { CHAR } from '../../core/char-codes.ts';
import { BodyParseError, MAX_BUFFERED_VALUE } from './body-error.ts';

const { QUOTE, BACKSLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, COMMA, COLON, LESS_THAN } =
  CHAR;

function isWhitespace(code: number): boolean {
  return code === CHAR.SPACE || code === CHAR.NEWLINE || code === CHAR.CARRIAGE_RETURN || code === CHAR.TAB;
}

type State =
  | 'start'
  | 'first-key'
  | 'next-key'
  | 'key'
  | 'colon'
  | 'value-start'
  | 'value'
  | 'after-value'
  | 'first-element'
  | 'next-element'
  | 'element'
  | 'after-element'
  | 'done';

export class JsonExportParser {
  private state: State = 'start';
  /** Text of the key, value or element being cut out. */
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A bare number, true, false or null: ends at a delimiter instead of a closing character. */
  private scalar = false;
  private key = '';
  private errorFlag: unknown;
  private message: string | undefined;
  private sawData = false;
  private elements = 0;

  /** Feeds the next chunk of text; returns the row objects it completed, in order. */
  push(chunk: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      const state = this.state;
      if (state === 'key' || state === 'value' || state === 'element') {
        const end = this.scan(chunk, i);
        if (end < 0) return out;
        i = end;
        this.finishToken(out);
        continue;
      }
      const code = chunk.charCodeAt(i);
      if (isWhitespace(code)) {
        i++;
        continue;
      }
      switch (state) {
        case 'start':
          if (code !== OPEN_BRACE) {
            throw new BodyParseError(
              'malformed',
              code === LESS_THAN
                ? 'the body is an HTML page, not JSON data'
                : 'the body is not a JSON object (expected {"error": false, "data": [...]})',
            );
          }
          this.state = 'first-key';
          i++;
          break;
        case 'first-key':
        case 'next-key':
          if (code === CLOSE_BRACE && state === 'first-key') {
            this.close();
            i++;
          } else if (code === QUOTE) {
            this.begin('key', false);
          } else {
            throw this.unexpected('a key');
          }
          break;
        case 'colon':
          if (code !== COLON) throw this.unexpected('":"');
          this.state = 'value-start';
          i++;
          break;
        case 'value-start':
          if (this.key === 'data') {
            if (code !== OPEN_BRACKET) throw new BodyParseError('malformed', '"data" is not an array');
            this.sawData = true;
            this.state = 'first-element';
            i++;
          } else {
            this.begin('value', !(code === QUOTE || code === OPEN_BRACE || code === OPEN_BRACKET));
          }
          break;
        case 'after-value':
          if (code === COMMA) this.state = 'next-key';
          else if (code === CLOSE_BRACE) this.close();
          else throw this.unexpected('"," or "}"');
          i++;
          break;
        case 'first-element':
          if (code === CLOSE_BRACKET) {
            this.state = 'after-value';
            i++;
          } else {
            this.begin('element', code !== OPEN_BRACE);
          }
          break;
        case 'next-element':
          this.begin('element', code !== OPEN_BRACE);
          break;
        case 'after-element':
          if (code === COMMA) this.state = 'next-element';
          else if (code === CLOSE_BRACKET) this.state = 'after-value';
          else throw this.unexpected('"," or "]" in "data"');
          i++;
          break;
        case 'done':
          throw new BodyParseError('malformed', 'the JSON body has text after its closing "}"');
      }
    }
    return out;
  }

  /** Call after the last chunk: throws unless the body was complete and held data. */
  end(): void {
    if (this.state !== 'done') {
      if (this.errorFlag === true) throw this.apiError();
      throw new BodyParseError(
        'truncated',
        this.sawData
          ? `the JSON body ended before it was complete, after ${this.elements} rows`
          : 'the JSON body ended before it was complete',
      );
    }
    if (!this.sawData) throw new BodyParseError('malformed', 'the JSON body has no "data" array');
  }

  private begin(state: 'key' | 'value' | 'element', scalar: boolean): void {
    this.state = state;
    this.buffer = '';
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.scalar = scalar;
  }

  /**
   * Consumes the current token from `chunk` starting at `from`; returns the index just past its
   * end, or -1 when the chunk ran out first (the text so far is kept).
   */
  private scan(chunk: string, from: number): number {
    let end = -1;
    const length = chunk.length;
    if (this.scalar) {
      for (let j = from; j < length; j++) {
        const code = chunk.charCodeAt(j);
        if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isWhitespace(code)) {
          end = j;
          break;
        }
      }
    } else {
      let { depth, inString, escaped } = this;
      for (let j = from; j < length; j++) {
        const code = chunk.charCodeAt(j);
        if (inString) {
          if (escaped) escaped = false;
          else if (code === BACKSLASH) escaped = true;
          else if (code === QUOTE) {
            inString = false;
            if (depth === 0) {
              end = j + 1;
              break;
            }
          }
        } else if (code === QUOTE) {
          inString = true;
        } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
          depth++;
        } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            end = j + 1;
            break;
          }
        }
      }
      this.depth = depth;
      this.inString = inString;
      this.escaped = escaped;
    }
    const piece = chunk.slice(from, end < 0 ? length : end);
    if (this.buffer.length + piece.length > MAX_BUFFERED_VALUE) {
      throw new BodyParseError(
        'malformed',
        `a single JSON value in the body is longer than ${MAX_BUFFERED_VALUE} characters`,
      );
    }
    this.buffer += piece;
    return end;
  }

  private finishToken(out: Record<string, unknown>[]): void {
    const text = this.buffer;
    this.buffer = '';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BodyParseError(
        'malformed',
        this.state === 'element'
          ? `row ${this.elements} of "data" is not valid JSON`
          : 'the JSON body is not valid JSON',
      );
    }
    if (this.state === 'key') {
      this.key = String(value);
      this.state = 'colon';
    } else if (this.state === 'value') {
      if (this.key === 'error') this.errorFlag = value;
      else if (this.key === 'message' && typeof value === 'string') this.message = value;
      this.state = 'after-value';
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new BodyParseError('malformed', `row ${this.elements} of "data" is not an object`);
      }
      // Rows of an error body are never data.
      if (this.errorFlag !== true) out.push(value as Record<string, unknown>);
      this.elements++;
      this.state = 'after-element';
    }
  }

  private close(): void {
    this.state = 'done';
    if (this.errorFlag === true) throw this.apiError();
  }

  private apiError(): BodyParseError {
    return new BodyParseError(
      'api-error',
      this.message === undefined
        ? 'the API answered {"error": true} without a message'
        : `the API answered with an error: ${this.message}`,
    );
  }

  private unexpected(expected: string): BodyParseError {
    return new BodyParseError('malformed', `the JSON body is malformed: expected ${expected}`);
  }
}
