/**
 * Every way an export can fail, as named errors. Callers branch on the class (or `retryable`),
 * never on message text. No error here ever holds the API token: messages are built from our own
 * words plus server text that the client has already redacted, and `cause` is only ever one of
 * these errors or a caller's own abort reason.
 */
import type { ExportRequest, Interval } from './contract.ts';

export interface ExportApiErrorOptions {
  /** HTTP status of the response that failed, when there was one. */
  readonly status?: number;
  /** The request that failed, so logs can name the interval and range. */
  readonly request?: ExportRequest;
  readonly cause?: unknown;
}

/** Base class: anything that went wrong talking to, or understanding, the Export API. */
export class ExportApiError extends Error {
  override readonly name: string = 'ExportApiError';
  readonly status: number | undefined;
  /** True when sending the same request again later may succeed. */
  readonly retryable: boolean;
  readonly request: ExportRequest | undefined;

  constructor(message: string, retryable: boolean, options: ExportApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = retryable;
    this.status = options.status;
    this.request = options.request;
  }
}

/**
 * The request breaks a rule of the contract: found before sending (client-side validation) or
 * answered with 400. `field` names the offending field, as the contract's messages do.
 */
export class ExportRequestInvalidError extends ExportApiError {
  override readonly name: string = 'ExportRequestInvalidError';
  readonly field: string;

  constructor(field: string, message: string, options: ExportApiErrorOptions = {}) {
    super(message, false, options);
    this.field = field;
  }
}

/**
 * Part of the range lies beyond the interval's look-back at `now`. The message suggests the finest
 * interval that still reaches that far.
 */
export class LookBackError extends ExportRequestInvalidError {
  override readonly name = 'LookBackError';
  readonly interval: Interval;
  /** The oldest `from` the interval accepts at the `now` used for planning. */
  readonly oldestAllowedMs: number;
  readonly suggestedInterval: Interval;

  constructor(
    message: string,
    details: { interval: Interval; oldestAllowedMs: number; suggestedInterval: Interval },
    options: ExportApiErrorOptions = {},
  ) {
    super('from', message, options);
    this.interval = details.interval;
    this.oldestAllowedMs = details.oldestAllowedMs;
    this.suggestedInterval = details.suggestedInterval;
  }
}

/**
 * 401 even after asking the token provider for a fresh token, or no usable token could be obtained
 * (none, an empty one, or one holding characters an HTTP header cannot carry). Never retried.
 */
export class ExportAuthError extends ExportApiError {
  override readonly name = 'ExportAuthError';
  constructor(message: string, options: ExportApiErrorOptions = {}) {
    super(message, false, options);
  }
}

/** 429: the rate limit is crossed. Refused requests count too, so only backing off helps. */
export class ExportRateLimitError extends ExportApiError {
  override readonly name = 'ExportRateLimitError';
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, options: ExportApiErrorOptions = {}) {
    super(message, true, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx: server trouble. */
export class ExportServerError extends ExportApiError {
  override readonly name = 'ExportServerError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, options: ExportApiErrorOptions = {}) {
    super(message, true, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Any other status the contract does not expect to succeed on retry (404, 405, other 4xx). */
export class ExportHttpError extends ExportApiError {
  override readonly name = 'ExportHttpError';
  constructor(message: string, options: ExportApiErrorOptions = {}) {
    super(message, false, options);
  }
}

/**
 * The body is not data: `{"error": true}` (with any status, 200 included), an HTML page, or text
 * that does not parse as the format asked for. Retryable: these are the server's or a proxy's
 * trouble, not the request's.
 */
export class ExportBodyError extends ExportApiError {
  override readonly name = 'ExportBodyError';
  /** Rows of this response already handed to the consumer before the failure. */
  readonly rowsYielded: number;
  constructor(message: string, options: ExportApiErrorOptions & { rowsYielded?: number } = {}) {
    super(message, true, options);
    this.rowsYielded = options.rowsYielded ?? 0;
  }
}

/**
 * The body stopped before it was complete: the connection closed early, the JSON never closed, or
 * the CSV's last line had no `\n`. When `rowsYielded > 0`, the consumer already holds part of the
 * response, so the client does not retry on its own: the caller retries the whole window.
 */
export class ExportTruncatedError extends ExportApiError {
  override readonly name = 'ExportTruncatedError';
  readonly rowsYielded: number;
  constructor(message: string, options: ExportApiErrorOptions & { rowsYielded?: number } = {}) {
    super(message, true, options);
    this.rowsYielded = options.rowsYielded ?? 0;
  }
}

/** No response, or no further bytes of the body, within `requestTimeoutMs`. */
export class ExportTimeoutError extends ExportApiError {
  override readonly name = 'ExportTimeoutError';
  readonly rowsYielded: number;
  constructor(message: string, options: ExportApiErrorOptions & { rowsYielded?: number } = {}) {
    super(message, true, options);
    this.rowsYielded = options.rowsYielded ?? 0;
  }
}

/** The connection failed or was reset. */
export class ExportConnectionError extends ExportApiError {
  override readonly name = 'ExportConnectionError';
  /** The system error code (ECONNRESET, ECONNREFUSED, ...), when known. */
  readonly code: string | undefined;
  readonly rowsYielded: number;
  constructor(
    message: string,
    code: string | undefined,
    options: ExportApiErrorOptions & { rowsYielded?: number } = {},
  ) {
    super(message, true, options);
    this.code = code;
    this.rowsYielded = options.rowsYielded ?? 0;
  }
}

/** A row breaks the contract: misaligned or out-of-range timestamp, missing or invalid field. */
export class ExportRowError extends ExportApiError {
  override readonly name = 'ExportRowError';
  /** 0-based index of the row within its response; -1 for the CSV header. */
  readonly rowIndex: number;
  /** The row's timestamp, when it had a readable one. */
  readonly timestamp: number | undefined;
  readonly field: string;
  constructor(
    message: string,
    details: { rowIndex: number; timestamp: number | undefined; field: string },
    options: ExportApiErrorOptions = {},
  ) {
    super(message, false, options);
    this.rowIndex = details.rowIndex;
    this.timestamp = details.timestamp;
    this.field = details.field;
  }
}

/** The next attempt or backoff sleep would run past the caller's deadline. */
export class DeadlineExceededError extends ExportApiError {
  override readonly name = 'DeadlineExceededError';
  readonly deadline: number;
  constructor(message: string, deadline: number, options: ExportApiErrorOptions = {}) {
    super(message, false, options);
    this.deadline = deadline;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class ExportAbortedError extends ExportApiError {
  override readonly name = 'ExportAbortedError';
  constructor(message: string, options: ExportApiErrorOptions = {}) {
    super(message, false, options);
  }
}
