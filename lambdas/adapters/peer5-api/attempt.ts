/**
 * One HTTP attempt: sends one request once, decodes the body (CSV or JSON) into checked rows, and
 * turns whatever stops it (a status, a timeout, the deadline, the caller, the network, a bad
 * body) into one public error. Retrying is the caller's business.
 */
import type { ExportFormat, ExportRequest, ExportRow } from '../../core/contract.ts';
import { CsvLines, type ExportBatch } from '../../core/csv-lines.ts';
import { isoTime } from '../../core/dates.ts';
import {
  DeadlineExceededError,
  ExportAbortedError,
  ExportApiError,
  ExportBodyError,
  ExportConnectionError,
  ExportTimeoutError,
  ExportTruncatedError,
} from '../../core/export-errors.ts';
import { MAX_TIMER_MS, parseRetryAfter } from './backoff.ts';
import { BodyParseError } from './body-error.ts';
import type { EmitEvent } from './client-events.ts';
import { summarizeRequest } from './client-events.ts';
import { parseCsvBody } from './csv-body.ts';
import { CsvLineRunReader } from './csv-lines-reader.ts';
import { JsonExportParser } from './json-body.ts';
import type { Redact } from './redaction.ts';
import { describeRequest, requestBody } from './request-plan.ts';
import { RowChecker } from './rows.ts';
import { errorBodyMessage, statusError } from './status-errors.ts';
import { utf8Text } from './utf8-body.ts';

/** Largest error body read to find the server's message. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

export interface AttemptSettings {
  readonly baseUrl: string;
  readonly format: ExportFormat;
  /** The longest wait for the response, and for each next piece of the body. */
  readonly requestTimeoutMs: number;
  /** Wall-clock epoch ms at which the attempt is stopped. */
  readonly deadline: number | undefined;
  readonly fetch: typeof fetch;
  readonly redact: Redact;
  readonly emit: EmitEvent;
  /** Told every status the API answers with, before its body is read. */
  readonly onStatus: (status: number) => void;
  /** The client's running totals: every request sent, every body byte of a 2xx received. */
  readonly tally: { requests: number; bytes: number };
}

/** What one request has delivered so far: rows to the consumer (all attempts), bytes (this one). */
export interface Delivered {
  rows: number;
  bytes: number;
}

export interface AttemptCall {
  readonly request: ExportRequest;
  readonly token: string;
  /** 1 for the first attempt of the request. */
  readonly attempt: number;
  readonly signal: AbortSignal | undefined;
  readonly delivered: Delivered;
}

type AbortCause = 'idle' | 'deadline' | 'caller';
type Phase = 'response' | 'body';

/** One HTTP attempt's cancellation: caller's signal, idle timeout and deadline in one controller. */
class AttemptControl {
  readonly controller = new AbortController();
  cause: AbortCause | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly deadlineTimer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = () => this.abort('caller');

  constructor(
    private readonly idleMs: number,
    deadline: number | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
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

  /**
   * Waits for network progress, for at most the idle timeout. The abort is raced as a promise of
   * this call's own, not one kept for the attempt: every race leaves a reaction on the promises it
   * is given, and one on a promise that lives as long as the attempt kept each read's result, so
   * a body's every chunk stayed in memory until its request ended (30 MB of a 150 MB peak for the
   * bench's 6-hour responses).
   */
  async guard<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.controller;
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.idleTimer = setTimeout(() => this.abort('idle'), this.idleMs);
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      clearTimeout(this.idleTimer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.deadlineTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
    this.abort('caller');
  }
}

/** Sends the request once and streams its checked rows; every failure is an ExportApiError. */
export async function* attemptRows(
  settings: AttemptSettings,
  call: AttemptCall,
): AsyncGenerator<ExportBatch> {
  const { request, delivered } = call;
  const control = new AttemptControl(settings.requestTimeoutMs, settings.deadline, call.signal);
  const started = Date.now();
  let phase: Phase = 'response';
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    settings.tally.requests++;
    settings.emit({
      ...summarizeRequest(request),
      type: 'request',
      attempt: call.attempt,
      format: settings.format,
    });
    const response = await control.guard(
      settings.fetch(`${settings.baseUrl}/export?format=${settings.format}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: settings.format === 'csv' ? 'text/csv, application/json' : 'application/json',
          'x-auth-token': call.token,
        },
        body: requestBody(request),
        // A redirect would carry X-Auth-Token to wherever it points: never follow one.
        redirect: 'manual',
        signal: control.signal,
      }),
    );
    phase = 'body';
    settings.onStatus(response.status);
    settings.emit({
      ...summarizeRequest(request),
      type: 'response',
      attempt: call.attempt,
      status: response.status,
      elapsedMs: Date.now() - started,
    });
    reader = response.body?.getReader();
    if (!response.ok) {
      const body = await readErrorBody(reader, control);
      const answer = {
        status: response.status,
        message:
          body === undefined
            ? undefined
            : errorBodyMessage(body, response.headers.get('content-type'), settings.redact),
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
        location: response.headers.get('location'),
      };
      throw statusError(answer, request, settings.baseUrl, settings.redact);
    }
    if (reader === undefined) {
      throw new ExportTruncatedError(`${describeRequest(request)}: the response has no body`, {
        status: response.status,
        request,
      });
    }
    if (/text\/html/i.test(response.headers.get('content-type') ?? '')) {
      throw new ExportBodyError(
        `${describeRequest(request)}: the API answered ${response.status} with an HTML page, not data (a proxy or maintenance page?)`,
        { status: response.status, request },
      );
    }
    yield* decodeRows(settings.format, bodyBytes(reader, control, settings.tally, delivered), request);
  } catch (error) {
    throw attemptFailure(error, { control, phase, request, settings, rowsYielded: delivered.rows });
  } finally {
    control.dispose();
    reader?.cancel().catch(() => {});
  }
}

/**
 * The rows of a body, each checked against the request, in one batch per piece of the body:
 * parsing, checking and the hops through the retry and hold-back loops happen per batch. A CSV
 * body's plain lines stay bytes (CsvLines); every other line, and JSON, become row objects.
 */
async function* decodeRows(
  format: ExportFormat,
  body: AsyncIterable<Uint8Array>,
  request: ExportRequest,
): AsyncGenerator<ExportBatch> {
  const checker = new RowChecker(request);
  if (format === 'json') {
    const parser = new JsonExportParser();
    for await (const chunk of utf8Text(body)) {
      const raws = parser.push(chunk);
      const batch: ExportRow[] = new Array(raws.length);
      for (let i = 0; i < raws.length; i++) batch[i] = checker.fromJson(raws[i] as Record<string, unknown>);
      yield batch;
    }
    parser.end();
    return;
  }
  let header = true;
  const reader = new CsvLineRunReader(request.dimensions ?? [], request.metrics);
  for await (const pieces of parseCsvBody(body, reader)) {
    let rows: ExportRow[] = [];
    for (const piece of pieces) {
      if (piece instanceof CsvLines) {
        // Rows stay in the body's order: the objects before these lines go out first.
        if (rows.length > 0) yield rows;
        rows = [];
        yield checker.checkLines(piece);
      } else if (header) {
        checker.checkHeader(piece);
        header = false;
      } else {
        rows.push(checker.fromCsv(piece));
      }
    }
    if (rows.length > 0) yield rows;
  }
}

/** The body's bytes as they arrive, counted. */
async function* bodyBytes(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  control: AttemptControl,
  tally: { bytes: number },
  delivered: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await control.guard(reader.read());
    if (done) return;
    tally.bytes += value.byteLength;
    delivered.bytes += value.byteLength;
    yield value;
  }
}

/**
 * As much of an error body as arrives, up to MAX_ERROR_BODY_BYTES; undefined if the caller or the
 * deadline stopped the reading. Never throws.
 */
async function readErrorBody(
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
    // A broken error body still tells us the status; go on with what arrived.
  }
  return text;
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

/** Says that a failure came after rows were delivered, so only the whole window can be retried. */
function afterRowsNote(rowsYielded: number): string {
  return rowsYielded > 0
    ? `; ${rowsYielded} rows of this request were already delivered, so it is not retried here (retry the whole window)`
    : '';
}

interface FailureContext {
  readonly control: AttemptControl;
  readonly phase: Phase;
  readonly request: ExportRequest;
  readonly settings: AttemptSettings;
  readonly rowsYielded: number;
}

function attemptFailure(error: unknown, context: FailureContext): ExportApiError {
  // Our own errors (status, rows, token) say best what went wrong, whatever fired afterwards.
  if (error instanceof ExportApiError) return error;
  const { control, phase, request, settings, rowsYielded } = context;
  const what = describeRequest(request);
  const options = { request, rowsYielded };
  const after = afterRowsNote(rowsYielded);
  if (control.cause === 'deadline' && settings.deadline !== undefined) {
    return new DeadlineExceededError(
      `${what}: stopped at the deadline ${isoTime(settings.deadline)}${after}`,
      settings.deadline,
      { request },
    );
  }
  if (control.cause === 'idle') {
    const stalled = phase === 'response' ? 'no response' : 'the body stalled: no data';
    return new ExportTimeoutError(
      `${what}: ${stalled} within ${settings.requestTimeoutMs} ms${after}`,
      options,
    );
  }
  if (control.cause === 'caller') {
    return new ExportAbortedError(`${what}: aborted by the caller${after}`, {
      request,
      cause: control.callerReason(),
    });
  }
  if (error instanceof BodyParseError) {
    const message = `${what}: ${settings.redact(error.message)}${after}`;
    if (error.problem === 'truncated') return new ExportTruncatedError(message, { ...options, status: 200 });
    return new ExportBodyError(message, { ...options, status: 200 });
  }
  const { code, text } = transportDetail(error);
  const detail = settings.redact(text);
  if (phase === 'response' || code === 'ECONNRESET' || code === 'EPIPE') {
    return new ExportConnectionError(
      `${what}: the connection failed${phase === 'body' ? ' while reading the body' : ''} (${detail})${after}`,
      code,
      options,
    );
  }
  return new ExportTruncatedError(
    `${what}: the connection closed before the body was complete (${detail})${after}`,
    { ...options, status: 200 },
  );
}
