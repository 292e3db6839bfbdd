/**
 * The HTTP client for the Peer5 Data Export API: plans a query into API-legal requests, sends
 * them, retries what can be retried, and streams typed, checked rows with flat memory.
 *
 * Retrying a body that fails part-way: rows already handed to the consumer cannot be taken back,
 * and re-sending the request does not reliably give the same rows (late data makes recent buckets
 * grow, and with dimensions it adds rows), so skipping "the first N rows" of a second answer could
 * drop or duplicate data. The client therefore retries a request on its own only while none of its
 * rows has reached the consumer. After that, a failure surfaces as a retryable error whose
 * `rowsYielded` says how much was delivered, and the caller, which writes each window atomically,
 * retries the whole window. To make the first case the usual one, rows are held back until the body
 * passes `holdBackBytes` (a bounded amount, so memory stays flat): a response smaller than that is
 * delivered only once it is complete and correct, and any failure of it is retried here.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  DEFAULT_BASE_URL,
  type ExportFormat,
  type ExportRequest,
  type ExportRow,
  findContractViolation,
} from '../../core/contract.ts';
import { isoTime } from '../../core/dates.ts';
import {
  DeadlineExceededError,
  ExportAbortedError,
  ExportApiError,
  ExportAuthError,
  ExportBodyError,
  ExportConnectionError,
  ExportHttpError,
  ExportRateLimitError,
  ExportRequestInvalidError,
  ExportServerError,
  ExportTimeoutError,
  ExportTruncatedError,
} from '../../core/export-errors.ts';
import { splitQuery } from '../../core/query-split.ts';
import type { ExportQuery, ExportSource, ExportStreamOptions, TokenProvider } from '../../core/source.ts';
import { backoffDelay, parseRetryAfter } from './backoff.ts';
import { BodyParseError } from './body-error.ts';
import { parseCsvBody } from './csv-body.ts';
import { JsonExportParser } from './json-body.ts';
import { RowChecker } from './rows.ts';

export const CLIENT_DEFAULTS = {
  format: 'csv',
  requestTimeoutMs: 60_000,
  maxAttempts: 8,
  baseDelayMs: 1_000,
  // The vendor's limit is per minute: a ceiling of a minute lets the backoff outlast a lock-out.
  maxDelayMs: 60_000,
  // The longest single wait, whatever Retry-After says: a larger value is more likely a mistake
  // (or a timer overflow waiting to happen) than a plan, and a later retry can ask again.
  maxWaitMs: 5 * 60_000,
  // Covers a typical hourly window whole; rows held back cost a few MB at most.
  holdBackBytes: 512 * 1024,
} as const;

export interface ExportClientOptions {
  /** The API's base URL, ending in /v1; `/export` is appended. */
  readonly baseUrl?: string;
  /** Called with `{refresh: false}` per request; once with `{refresh: true}` after a 401. */
  readonly token: TokenProvider;
  /** CSV is smaller and faster to parse; both give the same rows. */
  readonly format?: ExportFormat;
  /** The clock used to plan and check look-back limits (the CLI's --now passes a fixed one). */
  readonly now?: () => number;
  /**
   * Wall-clock epoch ms: no attempt and no backoff sleep runs past it. A retry whose wait (the
   * server's Retry-After or the backoff) would end past it is not made: the request fails at once
   * with DeadlineExceededError, which callers treat as "left for the next run".
   */
  readonly deadline?: number;
  /** Stops every request and backoff sleep of this client (Ctrl-C in a terminal, say). */
  readonly signal?: AbortSignal;
  /** Per attempt: the longest wait for the response, and for each next piece of the body. */
  readonly requestTimeoutMs?: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** The longest single wait before a retry, Retry-After included (CLIENT_DEFAULTS.maxWaitMs). */
  readonly maxWaitMs?: number;
  /**
   * Body bytes to read before the first row reaches the consumer (0: deliver at once). A response
   * that fails within them is retried here; see the module comment.
   */
  readonly holdBackBytes?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** Request, response, retry and outcome events, for logs and metrics. Never holds the token. */
  readonly onEvent?: (event: ExportClientEvent) => void;
}

export interface ExportClientStats {
  /** HTTP requests sent, retries and token refreshes included. */
  readonly requests: number;
  /** Backoff retries (a token refresh is not one). */
  readonly retries: number;
  /** Rows delivered to consumers. */
  readonly rows: number;
  /** Body bytes of 2xx responses received, failed attempts included. */
  readonly bytes: number;
}

export interface ExportErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
}

interface RequestSummary {
  readonly interval: ExportRequest['interval'];
  readonly from: number;
  readonly to: number;
}

export type ExportClientEvent =
  | (RequestSummary & { readonly type: 'request'; readonly attempt: number; readonly format: ExportFormat })
  | (RequestSummary & {
      readonly type: 'response';
      readonly attempt: number;
      readonly status: number;
      readonly elapsedMs: number;
    })
  | (RequestSummary & { readonly type: 'token-refresh' })
  | (RequestSummary & {
      readonly type: 'retry';
      readonly attempt: number;
      /** The wait before the next attempt. */
      readonly delayMs: number;
      /** The wait the server or the backoff asked for, before the cap of `maxWaitMs`. */
      readonly requestedMs: number;
      readonly error: ExportErrorSummary;
    })
  | (RequestSummary & {
      readonly type: 'done';
      readonly attempts: number;
      readonly rows: number;
      readonly bytes: number;
      readonly elapsedMs: number;
    })
  | (RequestSummary & {
      readonly type: 'failed';
      readonly attempts: number;
      readonly error: ExportErrorSummary;
    });

/** Largest error body read to find the server's message. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;
/**
 * What an HTTP header value cannot carry (RFC 9110 field-value: tab, visible ASCII, and the
 * Latin-1 bytes 0x80-0xFF): control characters and anything beyond Latin-1.
 */
const UNSENDABLE_HEADER_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/u;
/** setTimeout's ceiling; a deadline further away needs no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type AbortCause = 'idle' | 'deadline' | 'caller';

/** One HTTP attempt's cancellation: caller's signal, idle timeout and deadline in one controller. */
class AttemptControl {
  readonly controller = new AbortController();
  cause: AbortCause | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly deadlineTimer: NodeJS.Timeout | undefined;
  private readonly aborted: Promise<never>;
  private readonly onCallerAbort = () => this.abort('caller');

  constructor(
    private readonly idleMs: number,
    deadline: number | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.aborted = new Promise<never>((_, reject) => {
      this.controller.signal.addEventListener('abort', () => reject(this.controller.signal.reason), {
        once: true,
      });
    });
    this.aborted.catch(() => {});
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (deadline !== undefined) {
      const remaining = deadline - Date.now();
      if (remaining <= MAX_TIMER_MS) {
        this.deadlineTimer = setTimeout(() => this.abort('deadline'), Math.max(0, remaining));
        this.deadlineTimer.unref();
      }
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  callerReason(): unknown {
    return this.callerSignal?.reason;
  }

  abort(cause: AbortCause): void {
    if (this.controller.signal.aborted) return;
    this.cause = cause;
    this.controller.abort(new Error(`export attempt aborted: ${cause}`));
  }

  /** Waits for network progress, for at most the idle timeout. */
  async guard<T>(promise: Promise<T>): Promise<T> {
    this.idleTimer = setTimeout(() => this.abort('idle'), this.idleMs);
    try {
      return await Promise.race([promise, this.aborted]);
    } finally {
      clearTimeout(this.idleTimer);
    }
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.deadlineTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
    this.abort('caller');
  }
}

function describe(request: ExportRequest): string {
  return `${String(request.interval)} export of [${isoTime(request.from)}, ${isoTime(request.to)})`;
}

/** Only the contract's fields, whatever else the caller's object carries. */
function requestBody(request: ExportRequest): string {
  const { from, to, interval, metrics, dimensions, filters } = request;
  return JSON.stringify({ from, to, interval, metrics, dimensions, filters });
}

function summarize(request: ExportRequest): RequestSummary {
  return { interval: request.interval, from: request.from, to: request.to };
}

/** The system error code and text of a fetch/undici failure, following `cause` a few levels. */
function transportDetail(error: unknown): { code: string | undefined; text: string } {
  const parts: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      const candidate = (current as { code?: unknown }).code;
      if (code === undefined && typeof candidate === 'string') code = candidate;
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return { code, text: parts.join(': ') };
}

/** A wait for a message: milliseconds when short, else whole seconds (a Retry-After can be huge). */
function waitText(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${Math.ceil(ms / 1000)} s`;
}

/** The contract's `"field"` quoting lets a 400 message name its field. */
function fieldOf(message: string | undefined): string {
  return /"([a-z.]+)"/.exec(message ?? '')?.[1] ?? 'body';
}

export class ExportClient implements ExportSource {
  private readonly baseUrl: string;
  private readonly format: ExportFormat;
  private readonly now: () => number;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxWaitMs: number;
  private readonly holdBackBytes: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly fetchImpl: typeof fetch;
  /** Every token this client has been given, so any server or library text echoing one is scrubbed. */
  private readonly tokens = new Set<string>();
  private readonly counters = { requests: 0, retries: 0, rows: 0, bytes: 0 };
  /** Backoff level the rate limit last required; decays by one with every answered request. */
  private rateLimitLevel = 0;

  constructor(private readonly options: ExportClientOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.format = options.format ?? CLIENT_DEFAULTS.format;
    this.now = options.now ?? Date.now;
    this.requestTimeoutMs = options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? CLIENT_DEFAULTS.maxAttempts);
    this.baseDelayMs = options.baseDelayMs ?? CLIENT_DEFAULTS.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs;
    this.maxWaitMs = Math.min(Math.max(0, options.maxWaitMs ?? CLIENT_DEFAULTS.maxWaitMs), MAX_TIMER_MS);
    this.holdBackBytes = options.holdBackBytes ?? CLIENT_DEFAULTS.holdBackBytes;
    this.random = options.random ?? Math.random;
    // Node turns a timer beyond its ceiling into 1 ms: never hand it one.
    this.sleep =
      options.sleep ?? ((ms, signal) => sleepFor(Math.min(ms, MAX_TIMER_MS), undefined, { signal }));
    this.fetchImpl = options.fetch ?? fetch;
    if (this.format !== 'csv' && this.format !== 'json') {
      throw new ExportRequestInvalidError(
        'format',
        `"format" must be csv or json; got ${String(this.format)}`,
      );
    }
  }

  get stats(): ExportClientStats {
    return { ...this.counters };
  }

  /** The API-legal requests `rows(query)` would send at the current clock, each checked. */
  plan(query: ExportQuery): ExportRequest[] {
    const now = this.now();
    const requests = splitQuery(query, { now });
    for (const request of requests) this.validate(request, now);
    return requests;
  }

  async *rows(query: ExportQuery, options: ExportStreamOptions = {}): AsyncGenerator<ExportRow> {
    // Plan and check every request before sending the first, so a bad query costs no API call.
    const signal = this.stopSignal(options.signal);
    for (const request of this.plan(query)) yield* this.send(request, signal);
  }

  /** Streams the rows of one API-legal request. */
  async *stream(request: ExportRequest, options: ExportStreamOptions = {}): AsyncGenerator<ExportRow> {
    this.validate(request, this.now());
    yield* this.send(request, this.stopSignal(options.signal));
  }

  /** The client's own stop signal and the caller's, as one. */
  private stopSignal(callerSignal: AbortSignal | undefined): AbortSignal | undefined {
    const own = this.options.signal;
    if (own === undefined || callerSignal === undefined) return own ?? callerSignal;
    return AbortSignal.any([own, callerSignal]);
  }

  private validate(request: ExportRequest, now: number): void {
    const violation = findContractViolation(request, now);
    if (violation) {
      throw new ExportRequestInvalidError(
        violation.field,
        `invalid ${describe(request)}: ${violation.message}`,
        { request },
      );
    }
  }

  private async *send(request: ExportRequest, signal: AbortSignal | undefined): AsyncGenerator<ExportRow> {
    const started = Date.now();
    const summary = summarize(request);
    let token = await this.token(false, request);
    let refreshed = false;
    let failures = 0;
    let attempts = 0;
    const delivered = { rows: 0, bytes: 0 };
    for (;;) {
      try {
        this.throwIfStopped(request, signal);
        attempts++;
        delivered.bytes = 0;
        // Rows are held back until the body passes `holdBackBytes`: a small response that fails
        // anywhere is then retried here, and only a large one can fail after delivering rows.
        let held: ExportRow[] | undefined = this.holdBackBytes > 0 ? [] : undefined;
        for await (const row of this.attempt(request, token, attempts, signal, delivered)) {
          if (held !== undefined) {
            held.push(row);
            if (delivered.bytes <= this.holdBackBytes) continue;
            const release = held;
            held = undefined;
            for (const heldRow of release) {
              delivered.rows++;
              this.counters.rows++;
              yield heldRow;
            }
            continue;
          }
          delivered.rows++;
          this.counters.rows++;
          yield row;
        }
        for (const heldRow of held ?? []) {
          delivered.rows++;
          this.counters.rows++;
          yield heldRow;
        }
        this.emit({
          ...summary,
          type: 'done',
          attempts,
          rows: delivered.rows,
          bytes: delivered.bytes,
          elapsedMs: Date.now() - started,
        });
        return;
      } catch (caught) {
        const error = this.scrub(
          caught instanceof ExportApiError ? caught : this.unexpected(caught, request, delivered.rows),
        );
        if (error instanceof ExportAuthError && error.status === 401 && !refreshed) {
          // A rotated secret: ask for a fresh token and try once more, without backing off.
          refreshed = true;
          this.emit({ ...summary, type: 'token-refresh' });
          token = await this.token(true, request);
          continue;
        }
        const retry = error.retryable && delivered.rows === 0 && failures + 1 < this.maxAttempts;
        if (!retry) {
          this.emit({ ...summary, type: 'failed', attempts, error: this.summary(error) });
          throw error;
        }
        const requestedMs = this.delayFor(error, failures);
        failures++;
        // Waiting part of what was asked and retrying early would only be refused again: a wait
        // that ends past the deadline leaves the request for the next run, now.
        if (this.options.deadline !== undefined && Date.now() + requestedMs >= this.options.deadline) {
          const deadlineError = new DeadlineExceededError(
            `${describe(request)}: the retry after "${error.message}" would wait ${waitText(requestedMs)}, past the deadline ${isoTime(this.options.deadline)}`,
            this.options.deadline,
            { request, cause: error, status: error.status },
          );
          this.emit({ ...summary, type: 'failed', attempts, error: this.summary(deadlineError) });
          throw deadlineError;
        }
        const delayMs = Math.min(requestedMs, this.maxWaitMs);
        this.counters.retries++;
        this.emit({
          ...summary,
          type: 'retry',
          attempt: attempts,
          delayMs,
          requestedMs,
          error: this.summary(error),
        });
        try {
          await this.sleep(delayMs, signal);
        } catch (sleepError) {
          throw new ExportAbortedError(`${describe(request)}: aborted while waiting to retry`, {
            request,
            cause: signal?.reason ?? sleepError,
          });
        }
      }
    }
  }

  private delayFor(error: ExportApiError, failures: number): number {
    let level = failures;
    if (error instanceof ExportRateLimitError) {
      // The limit outlives one request: start where the last throttled request had to get to.
      level = Math.max(failures, this.rateLimitLevel);
      this.rateLimitLevel = level + 1;
    }
    const jittered = backoffDelay(level, {
      baseDelayMs: this.baseDelayMs,
      maxDelayMs: this.maxDelayMs,
      random: this.random,
    });
    const retryAfter =
      error instanceof ExportRateLimitError || error instanceof ExportServerError
        ? error.retryAfterMs
        : undefined;
    // Never earlier than the server asked; the jitter still spreads clients that were told the same.
    return retryAfter === undefined ? jittered : Math.max(retryAfter, jittered);
  }

  private throwIfStopped(request: ExportRequest, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      throw new ExportAbortedError(`${describe(request)}: aborted by the caller`, {
        request,
        cause: signal.reason,
      });
    }
    const { deadline } = this.options;
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new DeadlineExceededError(
        `${describe(request)}: the deadline ${isoTime(deadline)} has passed`,
        deadline,
        { request },
      );
    }
  }

  private async token(refresh: boolean, request: ExportRequest): Promise<string> {
    let value: string;
    try {
      value = (await this.options.token({ refresh })).trim();
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ExportAuthError(`could not get the Peer5 API token: ${this.redact(detail)}`, { request });
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
    this.tokens.add(value);
    return value;
  }

  private async *attempt(
    request: ExportRequest,
    token: string,
    attempt: number,
    signal: AbortSignal | undefined,
    delivered: { rows: number; bytes: number },
  ): AsyncGenerator<ExportRow> {
    const control = new AttemptControl(this.requestTimeoutMs, this.options.deadline, signal);
    const started = Date.now();
    let phase: 'response' | 'body' = 'response';
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      this.counters.requests++;
      this.emit({ ...summarize(request), type: 'request', attempt, format: this.format });
      const response = await control.guard(
        this.fetchImpl(`${this.baseUrl}/export?format=${this.format}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: this.format === 'csv' ? 'text/csv, application/json' : 'application/json',
            'x-auth-token': token,
          },
          body: requestBody(request),
          // A redirect would carry X-Auth-Token to wherever it points: never follow one.
          redirect: 'manual',
          signal: control.signal,
        }),
      );
      phase = 'body';
      if (response.status !== 429) this.rateLimitLevel = Math.max(0, this.rateLimitLevel - 1);
      this.emit({
        ...summarize(request),
        type: 'response',
        attempt,
        status: response.status,
        elapsedMs: Date.now() - started,
      });
      reader = response.body?.getReader();
      if (!response.ok) throw await this.statusError(response, reader, control, request);
      if (reader === undefined) {
        throw new ExportTruncatedError(`${describe(request)}: the response has no body`, {
          status: response.status,
          request,
        });
      }
      if (/text\/html/i.test(response.headers.get('content-type') ?? '')) {
        throw new ExportBodyError(
          `${describe(request)}: the API answered ${response.status} with an HTML page, not data (a proxy or maintenance page?)`,
          { status: response.status, request },
        );
      }
      const text = this.bodyText(reader, control, delivered);
      const checker = new RowChecker(request);
      if (this.format === 'json') {
        const parser = new JsonExportParser();
        for await (const chunk of text) {
          for (const raw of parser.push(chunk)) yield checker.fromJson(raw);
        }
        parser.end();
      } else {
        let header = true;
        for await (const records of parseCsvBody(text)) {
          for (const record of records) {
            if (header) {
              checker.checkHeader(record);
              header = false;
            } else {
              yield checker.fromCsv(record);
            }
          }
        }
      }
    } catch (error) {
      throw this.classify(error, control, phase, request, delivered.rows);
    } finally {
      control.dispose();
      reader?.cancel().catch(() => {});
    }
  }

  /** Decodes the body as UTF-8 text, chunk by chunk; a character split across chunks is kept whole. */
  private async *bodyText(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    control: AttemptControl,
    delivered: { bytes: number },
  ): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (;;) {
      const { done, value } = await control.guard(reader.read());
      if (done) break;
      this.counters.bytes += value.byteLength;
      delivered.bytes += value.byteLength;
      let text: string;
      try {
        text = decoder.decode(value, { stream: true });
      } catch {
        throw new BodyParseError('malformed', 'the body is not valid UTF-8');
      }
      if (text.length > 0) yield text;
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch {
      throw new BodyParseError('truncated', 'the body ended in the middle of a UTF-8 character');
    }
    if (tail.length > 0) yield tail;
  }

  private async statusError(
    response: Response,
    reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    control: AttemptControl,
    request: ExportRequest,
  ): Promise<ExportApiError> {
    const { status } = response;
    const message = await this.serverMessage(response, reader, control);
    const said = message === undefined ? '' : `: ${message}`;
    const options = { status, request };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    if (status === 400) {
      return new ExportRequestInvalidError(
        fieldOf(message),
        `${describe(request)}: the API rejected the request (400)${said}`,
        options,
      );
    }
    if (status === 401) {
      return new ExportAuthError(
        `${describe(request)}: the API refused the token (401)${said}. Check the token stored for the deployment.`,
        options,
      );
    }
    if (status === 429) {
      return new ExportRateLimitError(
        `${describe(request)}: rate limited (429)${said}`,
        retryAfterMs,
        options,
      );
    }
    if (status >= 500) {
      return new ExportServerError(
        `${describe(request)}: server error (${status})${said}`,
        retryAfterMs,
        options,
      );
    }
    const location = response.headers.get('location');
    const hint =
      status === 404 || status === 405
        ? ` Is the base URL ${this.baseUrl} right?`
        : status >= 300 && status < 400
          ? ` The API redirected${location ? ` to ${this.redact(location)}` : ''}; redirects are not followed, so the token is not sent elsewhere. Check the base URL.`
          : '';
    return new ExportHttpError(`${describe(request)}: unexpected status ${status}${said}.${hint}`, options);
  }

  /** The `message` of an error body, or a short note on what came instead. Never throws. */
  private async serverMessage(
    response: Response,
    reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    control: AttemptControl,
  ): Promise<string | undefined> {
    const decoder = new TextDecoder();
    let text = '';
    try {
      let size = 0;
      while (reader !== undefined && size < MAX_ERROR_BODY_BYTES) {
        const { done, value } = await control.guard(reader.read());
        if (done) break;
        size += value.byteLength;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      if (control.cause === 'caller' || control.cause === 'deadline') return undefined;
      // A broken error body still tells us the status; fall through with what arrived.
    }
    if (/text\/html/i.test(response.headers.get('content-type') ?? '') || text.trimStart().startsWith('<')) {
      return 'an HTML page instead of the API error body';
    }
    try {
      const parsed: unknown = JSON.parse(text);
      const message = (parsed as { message?: unknown } | null)?.message;
      if (typeof message === 'string') return this.redact(message);
    } catch {
      // Not JSON: quote the start of it.
    }
    const trimmed = text.trim().replace(/\s+/g, ' ').slice(0, 200);
    return trimmed === '' ? undefined : this.redact(trimmed);
  }

  private classify(
    error: unknown,
    control: AttemptControl,
    phase: 'response' | 'body',
    request: ExportRequest,
    rowsYielded: number,
  ): ExportApiError {
    // Our own errors (status, rows, token) say best what went wrong, whatever fired afterwards.
    if (error instanceof ExportApiError) return error;
    const options = { request, rowsYielded };
    const after = rowsYielded > 0 ? this.afterRowsNote(rowsYielded) : '';
    if (control.cause === 'deadline' && this.options.deadline !== undefined) {
      return new DeadlineExceededError(
        `${describe(request)}: stopped at the deadline ${isoTime(this.options.deadline)}${after}`,
        this.options.deadline,
        { request },
      );
    }
    if (control.cause === 'idle') {
      const what = phase === 'response' ? 'no response' : 'the body stalled: no data';
      return new ExportTimeoutError(
        `${describe(request)}: ${what} within ${this.requestTimeoutMs} ms${after}`,
        options,
      );
    }
    if (control.cause === 'caller') {
      return new ExportAbortedError(`${describe(request)}: aborted by the caller${after}`, {
        request,
        cause: control.callerReason(),
      });
    }
    if (error instanceof BodyParseError) {
      const message = `${describe(request)}: ${this.redact(error.message)}${after}`;
      if (error.problem === 'truncated')
        return new ExportTruncatedError(message, { ...options, status: 200 });
      return new ExportBodyError(message, { ...options, status: 200 });
    }
    const { code, text } = transportDetail(error);
    const detail = this.redact(text);
    if (phase === 'response' || code === 'ECONNRESET' || code === 'EPIPE') {
      return new ExportConnectionError(
        `${describe(request)}: the connection failed${phase === 'body' ? ' while reading the body' : ''} (${detail})${after}`,
        code,
        options,
      );
    }
    return new ExportTruncatedError(
      `${describe(request)}: the connection closed before the body was complete (${detail})${after}`,
      { ...options, status: 200 },
    );
  }

  private afterRowsNote(rowsYielded: number): string {
    return `; ${rowsYielded} rows of this request were already delivered, so it is not retried here (retry the whole window)`;
  }

  private unexpected(error: unknown, request: ExportRequest, rowsYielded: number): ExportApiError {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new ExportBodyError(`${describe(request)}: unexpected failure: ${this.redact(detail)}`, {
      request,
      rowsYielded,
    });
  }

  private redact(text: string): string {
    let result = text;
    for (const token of this.tokens) result = result.split(token).join('[redacted]');
    return result;
  }

  /**
   * A last line of defence: if any message or stack in the error's cause chain still holds a token
   * (library text we did not foresee), rewrite it before the error leaves the client.
   */
  private scrub<E extends ExportApiError>(error: E): E {
    let current: unknown = error;
    for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
      for (const key of ['message', 'stack'] as const) {
        const value = current[key];
        if (typeof value === 'string') {
          const clean = this.redact(value);
          if (clean !== value)
            Object.defineProperty(current, key, { value: clean, configurable: true, writable: true });
        }
      }
      current = current.cause;
    }
    return error;
  }

  private summary(error: ExportApiError): ExportErrorSummary {
    return { name: error.name, message: error.message, status: error.status, retryable: error.retryable };
  }

  private emit(event: ExportClientEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A failing log hook must not fail the export.
    }
  }
}
