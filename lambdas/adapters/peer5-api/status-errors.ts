/**
 * Turning a non-2xx answer into the public error that says what went wrong and whether a retry
 * can help. Pure: the body has been read already, and every text that came from the server passes
 * through the redactor it is given.
 */
import type { ExportRequest } from '../../core/contract.ts';
import {
  type ExportApiError,
  ExportAuthError,
  ExportHttpError,
  ExportRateLimitError,
  ExportRequestInvalidError,
  ExportServerError,
} from '../../core/export-errors.ts';
import type { Redact } from './redaction.ts';
import { describeRequest } from './request-plan.ts';

/** The most of a body that is not the API's JSON error which a message quotes. */
export const MAX_QUOTED_BODY_CHARS = 200;

export interface StatusAnswer {
  readonly status: number;
  /** What the error body said (see `errorBodyMessage`), if anything. */
  readonly message: string | undefined;
  /** The server's Retry-After, in ms from now. */
  readonly retryAfterMs: number | undefined;
  /** The Location header of a redirect. */
  readonly location: string | null;
}

/**
 * The `message` of an error body, or a short note on what came instead. Redacts before it cuts a
 * quote short, so a token that straddles the cut cannot leak a piece no redaction would recognise.
 */
export function errorBodyMessage(
  text: string,
  contentType: string | null,
  redact: Redact,
): string | undefined {
  if (/text\/html/i.test(contentType ?? '') || text.trimStart().startsWith('<')) {
    return 'an HTML page instead of the API error body';
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return redact(message);
  } catch {
    // Not JSON: quote the start of it.
  }
  const quoted = redact(text).trim().replace(/\s+/g, ' ').slice(0, MAX_QUOTED_BODY_CHARS);
  return quoted === '' ? undefined : quoted;
}

/** The contract's `"field"` quoting lets a 400 message name its field. */
export function fieldOf(message: string | undefined): string {
  return /"([a-z.]+)"/.exec(message ?? '')?.[1] ?? 'body';
}

/** The error for a non-2xx answer to `request`, sent to `baseUrl`. */
export function statusError(
  answer: StatusAnswer,
  request: ExportRequest,
  baseUrl: string,
  redact: Redact,
): ExportApiError {
  const { status, message, retryAfterMs, location } = answer;
  const what = describeRequest(request);
  const said = message === undefined ? '' : `: ${message}`;
  const options = { status, request };
  if (status === 400) {
    return new ExportRequestInvalidError(
      fieldOf(message),
      `${what}: the API rejected the request (400)${said}`,
      options,
    );
  }
  if (status === 401) {
    return new ExportAuthError(
      `${what}: the API refused the token (401)${said}. Check the token stored for the deployment.`,
      options,
    );
  }
  if (status === 429) {
    return new ExportRateLimitError(`${what}: rate limited (429)${said}`, retryAfterMs, options);
  }
  if (status >= 500) {
    return new ExportServerError(`${what}: server error (${status})${said}`, retryAfterMs, options);
  }
  const hint =
    status === 404 || status === 405
      ? ` Is the base URL ${baseUrl} right?`
      : status >= 300 && status < 400
        ? ` The API redirected${location ? ` to ${redact(location)}` : ''}; redirects are not followed, so the token is not sent elsewhere. Check the base URL.`
        : '';
  return new ExportHttpError(`${what}: unexpected status ${status}${said}.${hint}`, options);
}
