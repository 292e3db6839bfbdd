/**
 * A body's bytes as UTF-8 text, chunk by chunk, with the errors every reader of a body gives for
 * them: a character split across chunks is kept whole, bytes that are not UTF-8 make the body
 * malformed, and a body that ends inside a character is truncated.
 */
import { BodyParseError } from './body-error.ts';

export function notUtf8Error(): BodyParseError {
  return new BodyParseError('malformed', 'the body is not valid UTF-8');
}

export class Utf8BodyDecoder {
  private readonly decoder: InstanceType<typeof TextDecoder>;

  /**
   * @param keepByteOrderMark keep a U+FEFF the text starts with, for a decoder that may first run
   *   deep in the body (only the body's first character may be a byte order mark). @default false
   */
  constructor(keepByteOrderMark = false) {
    this.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: keepByteOrderMark });
  }

  /** The text of the next bytes; a character they cut short waits for the next call. */
  decode(bytes: Uint8Array): string {
    try {
      return this.decoder.decode(bytes, { stream: true });
    } catch {
      throw notUtf8Error();
    }
  }

  /** Call after the last bytes: the text still held, or a truncated error if a character was cut. */
  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw new BodyParseError('truncated', 'the body ended in the middle of a UTF-8 character');
    }
  }
}

/** The body as text, chunk by chunk, through `decoder` (which may already have read its start). */
export async function* utf8Text(
  body: AsyncIterable<Uint8Array>,
  decoder = new Utf8BodyDecoder(),
): AsyncGenerator<string> {
  for await (const bytes of body) {
    const text = decoder.decode(bytes);
    if (text.length > 0) yield text;
  }
  const tail = decoder.end();
  if (tail.length > 0) yield tail;
}
