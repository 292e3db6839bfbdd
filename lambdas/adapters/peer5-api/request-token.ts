/** Getting the API token from the caller's provider, checked so that fetch can send it. */
import type { ExportRequest } from '../../core/contract.ts';
import { ExportAuthError } from '../../core/export-errors.ts';
import type { TokenProvider } from '../../core/source.ts';
import type { Redactor } from './redaction.ts';

/**
 * What an HTTP header value cannot carry (RFC 9110 field-value: tab, visible ASCII, and the
 * Latin-1 bytes 0x80-0xFF): control characters and anything beyond Latin-1.
 */
const UNSENDABLE_HEADER_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/u;

/** The trimmed token, remembered by the redactor; ExportAuthError if it cannot be had or sent. */
export async function readToken(
  provider: TokenProvider,
  refresh: boolean,
  request: ExportRequest,
  redactor: Redactor,
): Promise<string> {
  let value: string;
  try {
    value = (await provider({ refresh })).trim();
  } catch (error) {
    throw new ExportAuthError(`could not get the Peer5 API token: ${redactor.detail(error)}`, { request });
  }
  if (value === '') throw new ExportAuthError('the Peer5 API token is empty', { request });
  // fetch refuses such a value before sending, which would look like a network failure and be
  // retried; no retry can fix it. The message says where the bad character is, never the token.
  const unsendable = UNSENDABLE_HEADER_CHARACTER.exec(value);
  if (unsendable) {
    const codePoint = (unsendable[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new ExportAuthError(
      `the Peer5 API token contains characters not allowed in an HTTP header (U+${codePoint} at character ${unsendable.index + 1}): copy it into the secret again`,
      { request },
    );
  }
  redactor.add(value);
  return value;
}
