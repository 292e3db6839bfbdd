/**
 * The simulator's HTTP side: `POST /v1/export` exactly as the contract describes it, the admin
 * endpoints under `/_sim/`, injected faults and the rate limit. Responses are streamed with
 * backpressure, so an export's size never shows up in memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type ExportFormat,
  type ExportRequest,
  findContractViolation,
  INTERVAL_MS,
} from '../lambdas/core/contract.ts';
import { buildPopulation, type Population } from './catalogue.ts';
import { CONTENT_TYPES, encoderFor, errorBody, type RowEncoder } from './format.ts';
import { type BucketSums, bucketSums, type ResolvedExport, resolveExport, rowGroupsOf } from './model.ts';
import {
  type ConfigPatch,
  parseClockBody,
  parseConfigPatch,
  parseFaultsBody,
  type ResolvedRateLimit,
  SimulatorConfigError,
  type SimulatorFault,
} from './settings.ts';

export const EXPORT_PATH = '/v1/export';
const ADMIN_PREFIX = '/_sim/';
const MAX_BODY_BYTES = 1024 * 1024;
/** Rows are batched into chunks of about this many characters before each write. */
const CHUNK_CHARS = 64 * 1024;
/** Status recorded in the stats for a connection reset without any answer. */
export const RESET_STATUS = 0;

const HTML_PAGE = `<!DOCTYPE html>
<html>
<head><title>503 Service Temporarily Unavailable</title></head>
<body>
<h1>We'll be right back</h1>
<p>The analytics service is undergoing scheduled maintenance. Please try again later.</p>
</body>
</html>
`;

export interface SimulatorStateOptions {
  readonly seed: number;
  readonly segments: number;
  readonly tokens: readonly string[];
  readonly lateDataDelayMs: number;
  readonly rateLimit: ResolvedRateLimit | null;
  readonly now: number | null;
}

class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
}

/** Everything that can change while the simulator runs, and the request handler that uses it. */
export class SimulatorState {
  readonly seed: number;
  private tokens: ReadonlySet<string>;
  private populationValue: Population;
  private lateDataDelay: number;
  private rateLimitValue: ResolvedRateLimit | null;
  private frozenAt: number | null;
  /** Forward clock jumps, added to real time for the rate-limit window (see `rateTime`). */
  private rateSkew = 0;
  private rateLog: number[] = [];
  private readonly faults: SimulatorFault[] = [];
  private activeExports = 0;
  /** Bytes of export bodies handed to sockets so far: shows tests that backpressure holds. */
  private streamedBytes = 0;
  readonly stats: { requests: number; byStatus: Record<number, number> } = { requests: 0, byStatus: {} };

  constructor(options: SimulatorStateOptions) {
    this.seed = options.seed;
    this.tokens = new Set(options.tokens);
    this.populationValue = buildPopulation(options.seed, options.segments);
    this.lateDataDelay = options.lateDataDelayMs;
    this.rateLimitValue = options.rateLimit;
    this.frozenAt = options.now;
  }

  get population(): Population {
    return this.populationValue;
  }

  get lateDataDelayMs(): number {
    return this.lateDataDelay;
  }

  now(): number {
    return this.frozenAt ?? Date.now();
  }

  /** Freezes the clock. A forward jump also moves the rate-limit window on, so tests can expire it. */
  setClock(ms: number): void {
    this.rateSkew += Math.max(0, ms - this.now());
    this.frozenAt = ms;
  }

  /** A new limit starts with an empty window. */
  setRateLimit(limit: ResolvedRateLimit | null): void {
    this.rateLimitValue = limit;
    this.rateLog = [];
  }

  setSegments(count: number): void {
    if (count !== this.populationValue.size) this.populationValue = buildPopulation(this.seed, count);
  }

  setLateDataDelay(ms: number): void {
    this.lateDataDelay = ms;
  }

  /** Replaces the accepted tokens, as a rotation does: the old ones are refused from now on. */
  setTokens(tokens: readonly string[]): void {
    this.tokens = new Set(tokens);
  }

  queueFaults(faults: readonly SimulatorFault[]): void {
    this.faults.push(...faults);
  }

  applyConfig(patch: ConfigPatch): void {
    if (patch.segments !== undefined) this.setSegments(patch.segments);
    if (patch.rateLimit !== undefined) this.setRateLimit(patch.rateLimit);
    if (patch.lateDataDelayMs !== undefined) this.setLateDataDelay(patch.lateDataDelayMs);
    if (patch.tokens !== undefined) this.setTokens(patch.tokens);
  }

  describe() {
    return {
      now: this.now(),
      clockFrozen: this.frozenAt !== null,
      seed: this.seed,
      segments: this.populationValue.size,
      lateDataDelayMs: this.lateDataDelay,
      rateLimit: this.rateLimitValue,
      queuedFaults: [...this.faults],
      activeExports: this.activeExports,
      streamedBytes: this.streamedBytes,
      stats: this.stats,
    };
  }

  /**
   * The rate-limit window runs on real elapsed time, so a frozen clock never locks a client out
   * for good, plus every forward jump of the simulated clock.
   */
  private rateTime(): number {
    return performance.now() + this.rateSkew;
  }

  /** Records an export request and says whether it crosses the limit; refused ones count too. */
  private countAgainstRateLimit(): boolean {
    const limit = this.rateLimitValue;
    if (!limit) return false;
    const now = this.rateTime();
    const windowStart = now - limit.windowMs;
    let expired = 0;
    while (expired < this.rateLog.length && (this.rateLog[expired] ?? 0) <= windowStart) expired++;
    if (expired > 0) this.rateLog.splice(0, expired);
    this.rateLog.push(now);
    return this.rateLog.length > limit.requests;
  }

  // -------------------------------------------------------------------------------------------
  // Requests.

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    this.route(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) {
        this.sendError(response, 500, `the simulator failed: ${message}`, false);
      } else {
        response.destroy();
      }
    });
  };

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      await this.admin(url.pathname.slice(ADMIN_PREFIX.length), request, response);
      return;
    }
    this.stats.requests++;
    if (url.pathname !== EXPORT_PATH) {
      request.resume();
      this.sendError(response, 404, `no such path ${url.pathname}; the only endpoint is POST ${EXPORT_PATH}`);
      return;
    }
    if (request.method !== 'POST') {
      request.resume();
      response.setHeader('Allow', 'POST');
      this.sendError(response, 405, `method ${request.method} is not allowed on ${EXPORT_PATH}; use POST`);
      return;
    }
    await this.export(url, request, response);
  }

  private async export(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const now = this.now();
    const limited = this.countAgainstRateLimit();
    const fault = this.faults.shift();
    let text: string;
    try {
      text = await readBody(request);
    } catch (error: unknown) {
      this.sendError(response, 400, error instanceof Error ? error.message : String(error));
      return;
    }

    if (fault && 'status' in fault) {
      const message =
        fault.status === 429
          ? 'rate limit exceeded: too many requests (simulated)'
          : `the server failed to produce the export (simulated ${fault.status})`;
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
      this.sendError(response, fault.status, message, true, headers);
      return;
    }
    switch (fault?.kind) {
      case 'reset':
        this.record(RESET_STATUS);
        resetConnection(request);
        return;
      case 'error-body':
        this.send(response, 200, 'application/json; charset=utf-8', errorBody('internal error (simulated)'));
        return;
      case 'html':
        this.send(response, 200, 'text/html; charset=utf-8', HTML_PAGE);
        return;
      case 'delay':
        if (!(await waitUnlessClosed(response, fault.ms))) return;
        break;
      default:
        break;
    }
    const truncate = fault?.kind === 'truncate';
    const drip = fault?.kind === 'drip' ? { bytes: fault.bytes, everyMs: fault.everyMs } : undefined;

    const outcome = limited
      ? { status: 429, message: 'rate limit exceeded: too many requests; back off before retrying' }
      : this.checkExport(url, request, text, now);
    if ('message' in outcome) {
      if (truncate) {
        await this.streamTruncated(response, '{"error":false,"data":[{"timestamp":', CONTENT_TYPES.json);
      } else {
        this.sendError(response, outcome.status, outcome.message);
      }
      return;
    }
    await this.streamExport(response, outcome.format, outcome.body, now, truncate, drip);
  }

  private checkExport(
    url: URL,
    request: IncomingMessage,
    text: string,
    now: number,
  ): { status: number; message: string } | { format: ExportFormat; body: ExportRequest } {
    const token = request.headers['x-auth-token'];
    if (token === undefined || token === '') {
      return { status: 401, message: 'the X-Auth-Token header is missing' };
    }
    if (typeof token !== 'string' || !this.tokens.has(token)) {
      return { status: 401, message: 'the X-Auth-Token header holds an unknown token' };
    }
    const formats = url.searchParams.getAll('format');
    if (formats.length > 1) return { status: 400, message: '"format" must be given at most once' };
    const format = formats[0] ?? 'json';
    if (format !== 'json' && format !== 'csv') {
      return { status: 400, message: `"format" must be json or csv; got ${JSON.stringify(format)}` };
    }
    if (text.trim() === '') {
      return { status: 400, message: 'the request body is empty; it must be a JSON object' };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      return { status: 400, message: `the request body is not valid JSON (${reason})` };
    }
    const violation = findContractViolation(body, now);
    if (violation) return { status: 400, message: violation.message };
    return { format, body: body as ExportRequest };
  }

  private async streamExport(
    response: ServerResponse,
    format: ExportFormat,
    request: ExportRequest,
    now: number,
    truncate: boolean,
    drip?: Drip,
  ): Promise<void> {
    const population = this.populationValue;
    const plan = resolveExport(population, request.dimensions ?? [], request.filters);
    const encoder = encoderFor(format, plan, request.metrics);
    const buckets = bucketSums(
      population,
      plan,
      { from: request.from, to: request.to, intervalMs: INTERVAL_MS[request.interval] },
      now,
      this.lateDataDelay,
    );
    if (truncate) {
      const first = firstChunk(encoder, plan, buckets);
      await this.streamTruncated(response, first, encoder.contentType);
      return;
    }
    this.activeExports++;
    try {
      this.record(200);
      response.writeHead(200, { 'Content-Type': encoder.contentType, 'Cache-Control': 'no-store' });
      const sink = new ResponseSink(response, drip);
      let chunk = encoder.opening;
      let first = true;
      for (const bucket of buckets) {
        for (const group of rowGroupsOf(plan, bucket)) {
          chunk += encoder.row(bucket.timestamp, group, bucket.sums, bucket.lengthMs, first);
          first = false;
          if (chunk.length >= CHUNK_CHARS) {
            if (!(await this.writeChunk(sink, chunk))) return;
            chunk = '';
          }
        }
      }
      chunk += encoder.closing;
      if (!(await this.writeChunk(sink, chunk))) return;
      response.end();
    } finally {
      this.activeExports--;
    }
  }

  /** Starts a 200 answer, sends part of the body, then drops the connection before the end. */
  private async streamTruncated(response: ServerResponse, body: string, contentType: string): Promise<void> {
    const bytes = Buffer.from(body);
    const part = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
    this.record(200);
    response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    await new Promise<void>((resolve) => {
      response.write(part, () => resolve());
    });
    response.socket?.destroy();
  }

  private writeChunk(sink: ResponseSink, chunk: string): Promise<boolean> {
    this.streamedBytes += Buffer.byteLength(chunk);
    return sink.write(chunk);
  }

  private record(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  private send(
    response: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    counted = true,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    if (counted) this.record(status);
    response.writeHead(status, {
      ...headers,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    response.end(body);
  }

  private sendError(
    response: ServerResponse,
    status: number,
    message: string,
    counted = true,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    this.send(response, status, 'application/json; charset=utf-8', errorBody(message), counted, headers);
  }

  // -------------------------------------------------------------------------------------------
  // Admin endpoints: not part of the API, no token needed, not counted in the stats.

  private async admin(path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const routes: Record<string, Record<string, (body: unknown) => unknown>> = {
      state: { GET: () => this.describe() },
      clock: {
        POST: (body) => {
          this.setClock(parseClockBody(body));
          return this.describe();
        },
      },
      faults: {
        POST: (body) => {
          this.queueFaults(parseFaultsBody(body));
          return this.describe();
        },
        DELETE: () => {
          this.faults.length = 0;
          return this.describe();
        },
      },
      config: {
        POST: (body) => {
          this.applyConfig(parseConfigPatch(body));
          return this.describe();
        },
      },
    };
    const route = routes[path];
    let text: string;
    try {
      text = await readBody(request);
    } catch (error: unknown) {
      this.sendError(response, 400, error instanceof Error ? error.message : String(error), false);
      return;
    }
    if (!route) {
      const known = Object.keys(routes).map((name) => `${ADMIN_PREFIX}${name}`);
      this.sendError(
        response,
        404,
        `no such admin path ${ADMIN_PREFIX}${path}; known: ${known.join(', ')}`,
        false,
      );
      return;
    }
    const action = route[request.method ?? ''];
    if (!action) {
      const allowed = Object.keys(route).join(', ');
      response.setHeader('Allow', allowed);
      this.sendError(
        response,
        405,
        `method ${request.method} is not allowed on ${ADMIN_PREFIX}${path}; use ${allowed}`,
        false,
      );
      return;
    }
    let body: unknown;
    if (request.method !== 'GET' && request.method !== 'DELETE') {
      try {
        body = JSON.parse(text);
      } catch (error: unknown) {
        const reason = error instanceof Error ? error.message : String(error);
        this.sendError(response, 400, `the request body is not valid JSON (${reason})`, false);
        return;
      }
    }
    try {
      const result = action(body);
      this.send(response, 200, 'application/json; charset=utf-8', JSON.stringify(result), false);
    } catch (error: unknown) {
      if (!(error instanceof SimulatorConfigError)) throw error;
      this.sendError(response, 400, error.message, false);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new RequestBodyError(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      parts.push(part);
    });
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', (error) =>
      reject(new RequestBodyError(`reading the request body failed: ${error.message}`)),
    );
  });
}

/** A slow body: `bytes` at a time, one piece every `everyMs`. */
interface Drip {
  readonly bytes: number;
  readonly everyMs: number;
}

/**
 * Writes chunks with backpressure: waits for 'drain' when the socket's buffer is full. Knows
 * when the client has gone ('close' before the end), so a dropped export stops at once. With a
 * drip, each chunk goes out in small pieces with a pause before each, like a server (or a proxy)
 * that sends just enough to keep a connection from timing out.
 */
class ResponseSink {
  private gone = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly drip?: Drip,
  ) {
    response.once('close', () => {
      this.gone = true;
    });
  }

  /** Writes a chunk; false when the client has gone and nothing more should be written. */
  async write(chunk: string): Promise<boolean> {
    if (this.drip === undefined) return await this.writeNow(chunk);
    const bytes = Buffer.from(chunk);
    for (let offset = 0; offset < bytes.length; offset += this.drip.bytes) {
      if (!(await waitUnlessClosed(this.response, this.drip.everyMs))) return false;
      if (!(await this.writeNow(bytes.subarray(offset, offset + this.drip.bytes)))) return false;
    }
    return true;
  }

  private async writeNow(chunk: string | Uint8Array): Promise<boolean> {
    if (this.gone || this.response.destroyed) return false;
    if (!this.response.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.response.off('drain', done);
          this.response.off('close', done);
          resolve();
        };
        this.response.on('drain', done);
        this.response.on('close', done);
        if (this.gone) done();
      });
    } else {
      // Let the event loop breathe between chunks, so one big export never starves other requests.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !this.gone && !this.response.destroyed;
  }
}

/** Waits `ms`, or less if the client goes away; true when the answer is still wanted. */
function waitUnlessClosed(response: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      response.off('close', finish);
      resolve(!response.destroyed);
    };
    const timer = setTimeout(finish, ms);
    response.on('close', finish);
  });
}

function resetConnection(request: IncomingMessage): void {
  const { socket } = request;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** The first chunk's worth of a response body, for a truncated answer. */
function firstChunk(encoder: RowEncoder, plan: ResolvedExport, buckets: Iterable<BucketSums>): string {
  let chunk = encoder.opening;
  let first = true;
  for (const bucket of buckets) {
    for (const group of rowGroupsOf(plan, bucket)) {
      chunk += encoder.row(bucket.timestamp, group, bucket.sums, bucket.lengthMs, first);
      first = false;
      if (chunk.length >= CHUNK_CHARS) return chunk;
    }
  }
  return chunk + encoder.closing;
}
