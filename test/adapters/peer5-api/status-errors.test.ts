import { describe, expect, it } from 'vitest';
import {
  errorBodyMessage,
  fieldOf,
  MAX_QUOTED_BODY_CHARS,
  type StatusAnswer,
  statusError,
} from '../../../lambdas/adapters/peer5-api/status-errors.ts';
import { type ExportRequest, TIME } from '../../../lambdas/core/contract.ts';
import {
  ExportAuthError,
  ExportHttpError,
  ExportRateLimitError,
  ExportRequestInvalidError,
  ExportServerError,
} from '../../../lambdas/core/export-errors.ts';

const SECRET = 'tok-STATUS-0a8e6c2d4f';
const redact = (text: string) => text.split(SECRET).join('[redacted]');
const FROM = Date.UTC(2025, 5, 15, 9);
const REQUEST: ExportRequest = { interval: '1h', from: FROM, to: FROM + TIME.HOUR, metrics: ['http'] };
const BASE_URL = 'https://api.example.test/v1';

function answer(status: number, extra: Partial<StatusAnswer> = {}): StatusAnswer {
  return { status, message: undefined, retryAfterMs: undefined, location: null, ...extra };
}

describe('errorBodyMessage', () => {
  it("returns the API's JSON message, redacted", () => {
    const body = JSON.stringify({ error: true, message: `"from" is wrong for ${SECRET}` });
    expect(errorBodyMessage(body, 'application/json', redact)).toBe('"from" is wrong for [redacted]');
  });

  it('names an HTML page instead of quoting it, by content type or by its first character', () => {
    const note = 'an HTML page instead of the API error body';
    expect(errorBodyMessage('Bad gateway', 'text/html; charset=utf-8', redact)).toBe(note);
    expect(errorBodyMessage('  <html><body>502</body></html>', null, redact)).toBe(note);
  });

  it('quotes the start of any other body, whitespace folded, at most MAX_QUOTED_BODY_CHARS', () => {
    expect(errorBodyMessage('  upstream\n\n  timed   out \n', 'text/plain', redact)).toBe(
      'upstream timed out',
    );
    const quoted = errorBodyMessage('y'.repeat(1_000), null, redact);
    expect(quoted).toBe('y'.repeat(MAX_QUOTED_BODY_CHARS));
  });

  it('says nothing for an empty or blank body', () => {
    expect(errorBodyMessage('', null, redact)).toBeUndefined();
    expect(errorBodyMessage(' \n\t ', 'text/plain', redact)).toBeUndefined();
  });

  it('leaves no piece of a token that straddles the cut, wherever the cut falls in it', () => {
    for (let inside = 1; inside < SECRET.length; inside++) {
      const body = `${'x'.repeat(MAX_QUOTED_BODY_CHARS - inside)}${SECRET} tail`;
      const quoted = errorBodyMessage(body, 'text/plain', redact) ?? '';
      // The quote keeps what came before the token, and the marker starts where the token did.
      expect(quoted.startsWith(`${'x'.repeat(MAX_QUOTED_BODY_CHARS - inside)}[`)).toBe(true);
      for (let start = 0; start + 8 <= SECRET.length; start++) {
        expect(quoted).not.toContain(SECRET.slice(start, start + 8));
      }
    }
  });

  it('redacts a token that lies whole within the quote', () => {
    expect(errorBodyMessage(`crash while serving ${SECRET}`, null, redact)).toBe(
      'crash while serving [redacted]',
    );
  });
});

describe('fieldOf', () => {
  it('takes the first quoted field name of a message, else "body"', () => {
    expect(fieldOf('"filters.country.code" must be a list; "from" too')).toBe('filters.country.code');
    expect(fieldOf('no field here')).toBe('body');
    expect(fieldOf(undefined)).toBe('body');
  });
});

describe('statusError', () => {
  it('maps 400 to ExportRequestInvalidError naming the field, not retryable', () => {
    const error = statusError(answer(400, { message: '"to" is before "from"' }), REQUEST, BASE_URL, redact);
    expect(error).toBeInstanceOf(ExportRequestInvalidError);
    expect((error as ExportRequestInvalidError).field).toBe('to');
    expect(error.message).toContain('the API rejected the request (400): "to" is before "from"');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.request).toBe(REQUEST);
  });

  it('maps 401 to ExportAuthError with advice to check the stored token', () => {
    const error = statusError(answer(401), REQUEST, BASE_URL, redact);
    expect(error).toBeInstanceOf(ExportAuthError);
    expect(error.message).toContain(
      'the API refused the token (401). Check the token stored for the deployment.',
    );
  });

  it("maps 429 and 5xx to retryable errors that carry the server's Retry-After", () => {
    const limited = statusError(answer(429, { retryAfterMs: 7_000 }), REQUEST, BASE_URL, redact);
    expect(limited).toBeInstanceOf(ExportRateLimitError);
    expect((limited as ExportRateLimitError).retryAfterMs).toBe(7_000);
    expect(limited.retryable).toBe(true);
    for (const status of [500, 502, 503, 599]) {
      const failed = statusError(
        answer(status, { retryAfterMs: 1_500, message: 'busy' }),
        REQUEST,
        BASE_URL,
        redact,
      );
      expect(failed).toBeInstanceOf(ExportServerError);
      expect(failed.message).toContain(`server error (${status}): busy`);
      expect((failed as ExportServerError).retryAfterMs).toBe(1_500);
      expect(failed.retryable).toBe(true);
    }
  });

  it('asks about the base URL on a 404 or 405', () => {
    for (const status of [404, 405]) {
      const error = statusError(answer(status), REQUEST, BASE_URL, redact);
      expect(error).toBeInstanceOf(ExportHttpError);
      expect(error.message).toContain(`unexpected status ${status}. Is the base URL ${BASE_URL} right?`);
    }
  });

  it('says a redirect was not followed, naming its target redacted', () => {
    const error = statusError(
      answer(302, { location: `https://elsewhere.test/?t=${SECRET}` }),
      REQUEST,
      BASE_URL,
      redact,
    );
    expect(error).toBeInstanceOf(ExportHttpError);
    expect(error.message).toContain(
      'The API redirected to https://elsewhere.test/?t=[redacted]; redirects are not followed',
    );
    expect(error.message).not.toContain(SECRET);
    expect(statusError(answer(307), REQUEST, BASE_URL, redact).message).toContain(
      'The API redirected; redirects are not followed',
    );
  });

  it('maps any other status to ExportHttpError without a hint', () => {
    const error = statusError(answer(418, { message: 'teapot' }), REQUEST, BASE_URL, redact);
    expect(error).toBeInstanceOf(ExportHttpError);
    expect(error.message).toMatch(/: unexpected status 418: teapot\.$/);
  });
});
