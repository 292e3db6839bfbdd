/**
 * Streams a CSV export body, fed as the bytes that arrive, into records of fields (csv-records.ts)
 * and, where a fast path is given, runs of plain lines read in place from the bytes.
 *
 * Two things the contract asks for come first:
 * - errors come as a JSON body whatever format was asked for, and proxies answer with HTML, so
 *   the first non-blank character is sniffed before any CSV is parsed;
 * - a line is released only once its `\n` has arrived, so a body cut off mid-row never delivers
 *   the partial row as data; it ends in a `truncated` error instead.
 *
 * The bytes must be UTF-8: each run of whole lines is checked at once (a `\n` never falls inside a
 * character), and only the lines the fast path does not take are decoded to text.
 */
import { isUtf8 } from 'node:buffer';
import { CHAR } from '../../core/char-codes.ts';
import { apiErrorMessage, BodyParseError, MAX_BUFFERED_VALUE } from './body-error.ts';
import { type CsvField, CsvRecordParser } from './csv-records.ts';
import { notUtf8Error, Utf8BodyDecoder, utf8Text } from './utf8-body.ts';

const { NEWLINE } = CHAR;

/**
 * A fast path for runs of whole lines, never asked for the header or for a line inside a quoted
 * field: `read` takes plain lines from `start` on, up to `end` (just after a `\n`), and returns
 * what it made of them, or undefined when it took none; `stoppedAt` is then the first line it left
 * for the record parser.
 */
export interface CsvLinesReader<T extends { readonly length: number }> {
  read(bytes: Buffer, start: number, end: number): T | undefined;
  readonly stoppedAt: number;
}

/** Bytes of a line without its `\n` kept before the rest goes to the record parser as it comes. */
const MAX_HELD_LINE_BYTES = MAX_BUFFERED_VALUE;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** One body's CSV bytes into records and runs of plain lines, in order. */
class CsvBytesParser<T extends { readonly length: number }> {
  private readonly records = new CsvRecordParser();
  /**
   * For text that reaches the record parser before its line is whole (a very long line). It keeps a
   * U+FEFF it starts with, since it may first run deep in the body: the record parser drops the
   * body's own byte order mark.
   */
  private readonly decoder = new Utf8BodyDecoder(true);
  /** The last line so far, without its `\n`. */
  private held: Buffer | undefined;
  /** The record parser holds the start of a line whose rest goes to it through `decoder`. */
  private lineOpen = false;

  constructor(private readonly reader: CsvLinesReader<T> | undefined) {}

  push(chunk: Uint8Array): (CsvField[] | T)[] {
    const out: (CsvField[] | T)[] = [];
    const bytes = asBuffer(chunk);
    let position = 0;
    if (this.lineOpen) {
      const newline = bytes.indexOf(NEWLINE);
      const lineEnd = newline < 0 ? bytes.length : newline + 1;
      this.pushText(this.decoder.decode(bytes.subarray(0, lineEnd)), out);
      if (newline < 0) return out;
      this.lineOpen = false;
      position = lineEnd;
    } else if (this.held !== undefined) {
      // Only the line split between the chunks is copied: the rest is read where it arrived.
      const newline = bytes.indexOf(NEWLINE);
      const lineEnd = newline < 0 ? bytes.length : newline + 1;
      const line = Buffer.concat([this.held, bytes.subarray(0, lineEnd)]);
      this.held = undefined;
      this.wholeLines(line, 0, out);
      position = lineEnd;
    }
    this.wholeLines(bytes, position, out);
    return out;
  }

  /** Call after the last chunk: throws when the body did not end with a complete line. */
  end(): void {
    const out: (CsvField[] | T)[] = [];
    if (this.held !== undefined) this.pushText(this.decoder.decode(this.held), out);
    this.pushText(this.decoder.end(), out);
    this.records.end();
  }

  /** The lines of `bytes` from `start`: the whole ones now, the last one kept if it has no `\n`. */
  private wholeLines(bytes: Buffer, start: number, out: (CsvField[] | T)[]): void {
    const end = Math.max(start, bytes.lastIndexOf(NEWLINE) + 1);
    if (end > start) {
      if (!isUtf8(bytes.subarray(start, end))) throw notUtf8Error();
      this.lines(bytes, start, end, out);
    }
    const rest = bytes.subarray(end);
    if (rest.length > MAX_HELD_LINE_BYTES) {
      this.lineOpen = true;
      this.pushText(this.decoder.decode(rest), out);
    } else if (rest.length > 0) {
      this.held = rest;
    }
  }

  /** The whole lines from `start` to `end`, already checked as UTF-8. */
  private lines(bytes: Buffer, start: number, end: number, out: (CsvField[] | T)[]): void {
    const { reader, records } = this;
    let position = start;
    while (position < end) {
      if (reader !== undefined && records.atRecordStart && records.lineCount > 0) {
        const lines = reader.read(bytes, position, end);
        if (lines !== undefined) {
          out.push(lines);
          records.countLines(lines.length);
        }
        position = reader.stoppedAt;
        if (position >= end) return;
      }
      const lineEnd = bytes.indexOf(NEWLINE, position) + 1;
      this.pushText(bytes.toString('utf8', position, lineEnd), out);
      position = lineEnd;
    }
  }

  private pushText(text: string, out: (CsvField[] | T)[]): void {
    if (text.length === 0) return;
    for (const record of this.records.push(text)) out.push(record);
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
 * Sniffs the body, then streams its CSV in batches, one per chunk of bytes (so an async hop is paid
 * per chunk rather than per row): records of fields, the first of them the header, and whatever the
 * reader made of the runs of plain lines it took.
 */
export async function* parseCsvBody<T extends { readonly length: number } = never>(
  chunks: AsyncIterable<Uint8Array>,
  reader?: CsvLinesReader<T>,
): AsyncGenerator<(CsvField[] | T)[]> {
  const iterator = chunks[Symbol.asyncIterator]();
  const sniffer = new Utf8BodyDecoder();
  const sniffed: Uint8Array[] = [];
  let head = '';
  let first = '';
  try {
    while (first === '') {
      const next = await iterator.next();
      if (next.done) {
        head += sniffer.end();
        if (head.length === 0)
          throw new BodyParseError('truncated', 'the CSV body is empty (no header line)');
        throw new BodyParseError('truncated', 'the CSV body holds only blank text (no header line)');
      }
      sniffed.push(next.value);
      head += sniffer.decode(next.value);
      first = head.replace(/^[\s\uFEFF]+/, '').charAt(0);
    }
    if (first === '{') {
      // The rest of an error body is read as text through the decoder that read its start.
      const rest = { [Symbol.asyncIterator]: () => iterator };
      await readErrorBody(head, utf8Text(rest, sniffer));
    }
    if (first === '<') throw new BodyParseError('malformed', 'the body is an HTML page, not CSV data');

    const parser = new CsvBytesParser(reader);
    for (const chunk of sniffed) yield parser.push(chunk);
    sniffed.length = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield parser.push(next.value);
    }
    parser.end();
  } finally {
    // Stops the source too when the consumer stops early.
    await iterator.return?.();
  }
}
