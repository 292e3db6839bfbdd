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
} from '../../core/contract.ts';
import type { ExportBatch } from '../../core/csv-lines.ts';
import type { ExportQuery, ExportSource, ExportStreamOptions, TokenProvider } from '../../core/source.ts';
import { type AttemptSettings, attemptRows, type Delivered } from './attempt.ts';
import { MAX_TIMER_MS } from './backoff.ts';
import { type ExportClientEvent, eventEmitter } from './client-events.ts';
import { holdBack } from './hold-back.ts';
import { pulledFetch } from './http-fetch.ts';
import type { RequestPacer } from './pacer.ts';
import { Redactor } from './redaction.ts';
import { checkedFormat, planRequests, validateRequest } from './request-plan.ts';
import { readToken } from './request-token.ts';
import { RetryDelays, type RetrySettings, withRetries } from './retry.ts';

export type { ExportClientEvent, ExportErrorSummary } from './client-events.ts';

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
  /** Spaces every attempt (retries too) to a share of the API's rate budget. Unpaced when absent. */
  readonly pacer?: RequestPacer;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default pulledFetch (node:http, a body read only as fast as it is parsed) */
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

export class ExportClient implements ExportSource {
  private readonly now: () => number;
  private readonly holdBackBytes: number;
  /** Every token this client has been given, so any server or library text echoing one is scrubbed. */
  private readonly redactor = new Redactor();
  private readonly counters = { requests: 0, retries: 0, rows: 0, bytes: 0 };
  private readonly attempts: AttemptSettings;
  private readonly retries: RetrySettings;

  constructor(private readonly options: ExportClientOptions) {
    this.now = options.now ?? Date.now;
    this.holdBackBytes = options.holdBackBytes ?? CLIENT_DEFAULTS.holdBackBytes;
    const format = checkedFormat(options.format ?? CLIENT_DEFAULTS.format);
    const emit = eventEmitter(options.onEvent);
    const delays = new RetryDelays({
      baseDelayMs: options.baseDelayMs ?? CLIENT_DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs,
      random: options.random ?? Math.random,
    });
    this.attempts = {
      baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
      format,
      requestTimeoutMs: options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
      deadline: options.deadline,
      // The global fetch reads a body ahead of its consumer; see http-fetch.ts.
      fetch: options.fetch ?? pulledFetch,
      redact: this.redactor.redact,
      emit,
      onStatus: (status) => delays.answered(status),
      tally: this.counters,
    };
    this.retries = {
      maxAttempts: Math.max(1, options.maxAttempts ?? CLIENT_DEFAULTS.maxAttempts),
      maxWaitMs: Math.min(Math.max(0, options.maxWaitMs ?? CLIENT_DEFAULTS.maxWaitMs), MAX_TIMER_MS),
      deadline: options.deadline,
      // Node turns a timer beyond its ceiling into 1 ms: never hand it one.
      sleep: options.sleep ?? ((ms, signal) => sleepFor(Math.min(ms, MAX_TIMER_MS), undefined, { signal })),
      delays,
      redactor: this.redactor,
      emit,
      tally: this.counters,
    };
  }

  get stats(): ExportClientStats {
    return { ...this.counters };
  }

  /** The API-legal requests `rows(query)` would send at the current clock, each checked. */
  plan(query: ExportQuery): ExportRequest[] {
    return planRequests(query, this.now());
  }

  async *rows(query: ExportQuery, options: ExportStreamOptions = {}): AsyncGenerator<ExportRow> {
    for await (const batch of this.batches(query, options)) yield* batch;
  }

  /** The rows of `query` in batches, one per piece of each response body as it was parsed. */
  async *batches(query: ExportQuery, options: ExportStreamOptions = {}): AsyncGenerator<ExportBatch> {
    // Plan and check every request before sending the first, so a bad query costs no API call.
    const signal = this.stopSignal(options.signal);
    for (const request of this.plan(query)) yield* this.send(request, signal);
  }

  /** Streams the rows of one API-legal request. */
  async *stream(request: ExportRequest, options: ExportStreamOptions = {}): AsyncGenerator<ExportRow> {
    validateRequest(request, this.now());
    for await (const batch of this.send(request, this.stopSignal(options.signal))) yield* batch;
  }

  /** The client's own stop signal and the caller's, as one. */
  private stopSignal(callerSignal: AbortSignal | undefined): AbortSignal | undefined {
    const own = this.options.signal;
    if (own === undefined || callerSignal === undefined) return own ?? callerSignal;
    return AbortSignal.any([own, callerSignal]);
  }

  private send(request: ExportRequest, signal: AbortSignal | undefined): AsyncGenerator<ExportBatch> {
    const job = {
      request,
      signal,
      token: (refresh: boolean) => readToken(this.options.token, refresh, request, this.redactor),
      // Rows are held back until the body passes `holdBackBytes`: a small response that fails
      // anywhere is then retried here, and only a large one can fail after delivering rows.
      attempt: (token: string, attempt: number, delivered: Delivered) =>
        this.paced(signal, () =>
          holdBack(
            attemptRows(this.attempts, { request, token, attempt, signal, delivered }),
            () => this.holdBackBytes > 0 && delivered.bytes <= this.holdBackBytes,
          ),
        ),
    };
    return withRetries(job, this.retries);
  }

  /** The attempt's rows, started once the pacer gives it a slot. */
  private async *paced<T>(
    signal: AbortSignal | undefined,
    attempt: () => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    await this.options.pacer?.take(signal);
    yield* attempt();
  }
}
