/**
 * The export client against the project's API simulator over real HTTP: data in both formats,
 * every fault the simulator can inject, auth, the rate limit and the deadline.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadlineExceededError,
  ExportAbortedError,
  ExportAuthError,
  ExportBodyError,
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
  ExportConnectionError,
  ExportHttpError,
  ExportRateLimitError,
  ExportRequestInvalidError,
  ExportServerError,
  ExportTimeoutError,
  ExportTruncatedError,
} from '../../../lambdas/adapters/peer5-api/index.ts';
import { type ExportRequest, TIME } from '../../../lambdas/core/contract.ts';
import { type RunningSimulator, type SimulatorFault, startSimulator } from '../../../simulator/index.ts';
import { collect, expectNoSecret, failure } from './helpers.ts';

const NOW = Date.UTC(2025, 5, 15, 12, 30);
const TOKEN = 'sim-token-for-client-tests';

const totals: ExportRequest = {
  interval: '1m',
  from: Date.UTC(2025, 5, 15, 6),
  to: Date.UTC(2025, 5, 15, 12),
  metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
};
const byCityAndBrowser: ExportRequest = {
  interval: '1h',
  from: Date.UTC(2025, 5, 14),
  to: Date.UTC(2025, 5, 15, 13),
  metrics: ['p2p', 'http', 'sessions'],
  dimensions: ['city.name', 'browser.name'],
};
const filteredPages: ExportRequest = {
  interval: '10m',
  from: Date.UTC(2025, 5, 15, 8),
  to: Date.UTC(2025, 5, 15, 12),
  metrics: ['played', 'rebuffered'],
  dimensions: ['session.page'],
  filters: { 'country.code': ['BR', 'DE', 'JP', 'CH'] },
};

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ now: NOW, seed: 7, segments: 300, tokens: [TOKEN] });
});

afterAll(async () => {
  await sim.close();
});

afterEach(async () => {
  sim.setClock(NOW);
  sim.setRateLimit(null);
  // Faults a test queued but did not use must not leak into the next one.
  await fetch(new URL('/_sim/faults', sim.url), { method: 'DELETE' });
});

function client(options: Partial<ExportClientOptions> = {}): ExportClient {
  return new ExportClient({
    baseUrl: sim.url,
    token: async () => TOKEN,
    now: () => sim.now(),
    requestTimeoutMs: 2_000,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 5,
    ...options,
  });
}

function expected(request: ExportRequest) {
  return [...sim.rows(request)];
}

function faulted(faults: SimulatorFault[]): void {
  sim.queueFaults(faults);
}

describe('the export client reading the simulator', () => {
  for (const format of ['csv', 'json'] as const) {
    it(`returns exactly the simulator's rows in ${format}`, async () => {
      const exporter = client({ format });
      for (const request of [totals, byCityAndBrowser, filteredPages]) {
        const rows = await collect(exporter.stream(request));
        expect(rows.length).toBeGreaterThan(0);
        expect(rows).toEqual(expected(request));
      }
      expect(exporter.stats.retries).toBe(0);
    });
  }

  it('gives identical rows in CSV and JSON, tricky dimension values and nulls included', async () => {
    const csv = await collect(client({ format: 'csv' }).stream(byCityAndBrowser));
    const json = await collect(client({ format: 'json' }).stream(byCityAndBrowser));
    expect(csv).toEqual(json);
    const cities = new Set(csv.map((row) => row.dimensions['city.name']));
    expect(cities.has(null)).toBe(true);
    expect([...cities].some((city) => typeof city === 'string' && /[^\x20-\x7e]/.test(city))).toBe(true);
  });

  it('plans a long query into several requests and streams them in order as one', async () => {
    const events: ExportClientEvent[] = [];
    const query = { ...totals, from: Date.UTC(2025, 5, 14, 20), to: Date.UTC(2025, 5, 15, 9) };
    const rows = await collect(client({ onEvent: (e) => events.push(e) }).rows(query));
    expect(rows).toEqual(expected(query));
    expect(events.filter((e) => e.type === 'request').map((e) => [e.from, e.to])).toEqual([
      [Date.UTC(2025, 5, 14, 20), Date.UTC(2025, 5, 15, 2)],
      [Date.UTC(2025, 5, 15, 2), Date.UTC(2025, 5, 15, 8)],
      [Date.UTC(2025, 5, 15, 8), Date.UTC(2025, 5, 15, 9)],
    ]);
  });

  it('stops cleanly when the consumer stops early', async () => {
    const exporter = client();
    let taken = 0;
    for await (const _row of exporter.stream(totals)) {
      if (++taken === 5) break;
    }
    expect(taken).toBe(5);
    expect(await collect(exporter.stream(totals))).toEqual(expected(totals));
  });
});

describe('the export client riding out injected faults', () => {
  const retried: [string, SimulatorFault, Partial<ExportClientOptions>][] = [
    ['429', { status: 429 }, {}],
    ['500', { status: 500 }, {}],
    ['502', { status: 502 }, {}],
    ['503', { status: 503 }, {}],
    ['a delay beyond the timeout', { kind: 'delay', ms: 60_000 }, { requestTimeoutMs: 1_000 }],
    ['a truncated body', { kind: 'truncate' }, {}],
    ['a connection reset', { kind: 'reset' }, {}],
    ['an {"error": true} body with status 200', { kind: 'error-body' }, {}],
    ['an HTML page with status 200', { kind: 'html' }, {}],
  ];
  for (const format of ['csv', 'json'] as const) {
    for (const [name, fault, options] of retried) {
      it(`retries ${name} (${format}) and returns the right data`, async () => {
        const events: ExportClientEvent[] = [];
        const exporter = client({ format, onEvent: (e) => events.push(e), ...options });
        faulted([fault]);
        expect(await collect(exporter.stream(byCityAndBrowser))).toEqual(expected(byCityAndBrowser));
        expect(exporter.stats).toMatchObject({ requests: 2, retries: 1 });
        expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
      });
    }
  }

  it('waits out a delay within the timeout without retrying', async () => {
    const exporter = client({ requestTimeoutMs: 2_000 });
    faulted([{ kind: 'delay', ms: 150 }]);
    expect(await collect(exporter.stream(totals))).toEqual(expected(totals));
    expect(exporter.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  const givenUp: [string, SimulatorFault, new (...args: never[]) => Error, number | undefined][] = [
    ['429', { status: 429 }, ExportRateLimitError, 429],
    ['500', { status: 500 }, ExportServerError, 500],
    ['502', { status: 502 }, ExportServerError, 502],
    ['503', { status: 503 }, ExportServerError, 503],
    ['a delay beyond the timeout', { kind: 'delay', ms: 60_000 }, ExportTimeoutError, undefined],
    ['a truncated body', { kind: 'truncate' }, ExportTruncatedError, 200],
    ['a connection reset', { kind: 'reset' }, ExportConnectionError, undefined],
    ['an {"error": true} body with status 200', { kind: 'error-body' }, ExportBodyError, 200],
    ['an HTML page with status 200', { kind: 'html' }, ExportBodyError, 200],
  ];
  for (const [name, fault, type, status] of givenUp) {
    it(`fails with ${type.name} on ${name} once attempts run out`, async () => {
      const exporter = client({ maxAttempts: 2, requestTimeoutMs: 1_000 });
      faulted([fault, fault]);
      const error = await failure(exporter.stream(totals));
      expect(error).toBeInstanceOf(type);
      expect(error.name).toBe(type.name);
      expect((error as ExportServerError).status).toBe(status);
      expect((error as ExportServerError).retryable).toBe(true);
      expect(exporter.stats).toMatchObject({ requests: 2, retries: 1, rows: 0 });
    });
  }

  it('does not retry a body that fails after rows reached the consumer, and says how many did', async () => {
    const exporter = client({ format: 'json', holdBackBytes: 0, maxAttempts: 5 });
    faulted([{ kind: 'truncate' }]);
    const delivered: unknown[] = [];
    const error = await failure(
      (async function* () {
        for await (const row of exporter.stream(byCityAndBrowser)) {
          delivered.push(row);
          yield row;
        }
      })(),
    );
    expect(error).toBeInstanceOf(ExportTruncatedError);
    const truncated = error as ExportTruncatedError;
    expect(truncated.rowsYielded).toBeGreaterThan(0);
    expect(truncated.rowsYielded).toBe(delivered.length);
    expect(truncated.retryable).toBe(true);
    expect(truncated.message).toContain('retry the whole window');
    expect(delivered).toEqual(expected(byCityAndBrowser).slice(0, delivered.length));
    expect(exporter.stats.requests).toBe(1);
  });

  it('reports the body error message the API sent', async () => {
    faulted([{ kind: 'error-body' }]);
    const error = await failure(client({ maxAttempts: 1 }).stream(totals));
    expect(error.message).toContain('internal error (simulated)');
  });
});

describe('the export client and the token', () => {
  it('asks for a fresh token after a 401 and succeeds with it', async () => {
    const calls: boolean[] = [];
    const exporter = client({
      token: async ({ refresh }) => {
        calls.push(refresh);
        return refresh ? TOKEN : 'stale-token';
      },
    });
    expect(await collect(exporter.stream(totals))).toEqual(expected(totals));
    expect(calls).toEqual([false, true]);
    expect(exporter.stats).toMatchObject({ requests: 2, retries: 0 });
  });

  it('fails with ExportAuthError when the fresh token is refused too', async () => {
    const calls: boolean[] = [];
    const exporter = client({
      maxAttempts: 5,
      token: async ({ refresh }) => {
        calls.push(refresh);
        return 'unknown-token';
      },
    });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(ExportAuthError);
    expect((error as ExportAuthError).status).toBe(401);
    expect((error as ExportAuthError).retryable).toBe(false);
    expect(error.message).toContain('unknown token');
    expect(calls).toEqual([false, true]);
    expect(exporter.stats.requests).toBe(2);
  });

  // Bad pastes into the secret: a control character, a line break, a smart quote, an emoji.
  const unsendable: [string, string][] = [
    ['a control character', 'paste\u0001d-token-abc123'],
    ['a line break inside', 'pasted-token\nabc123'],
    ['a character beyond Latin-1', '\u201cpasted-token-abc123\u201d'],
    ['an emoji', 'pasted-token-abc123\u{1F511}'],
  ];
  for (const [name, badToken] of unsendable) {
    it(`refuses a token with ${name} before sending anything, without retrying or quoting it`, async () => {
      const events: ExportClientEvent[] = [];
      const exporter = client({
        maxAttempts: 8,
        token: async () => badToken,
        onEvent: (e) => events.push(e),
      });
      const error = await failure(exporter.stream(totals));
      expect(error).toBeInstanceOf(ExportAuthError);
      expect((error as ExportAuthError).retryable).toBe(false);
      expect(error.message).toContain('contains characters not allowed in an HTTP header');
      expect(exporter.stats).toMatchObject({ requests: 0, retries: 0 });
      expect(events.filter((event) => event.type === 'request' || event.type === 'retry')).toEqual([]);
      expectNoSecret(error, badToken);
      expectNoSecret(error, 'abc123');
    });
  }

  it('refuses an unsendable token that a refresh after a 401 hands out, counting only the sent request', async () => {
    const badToken = 'fresh-token-xyz789\r\n';
    const exporter = client({
      maxAttempts: 8,
      token: async ({ refresh }) => (refresh ? `${badToken}extra` : 'stale-token'),
    });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(ExportAuthError);
    expect(error.message).toContain('contains characters not allowed in an HTTP header');
    expect(exporter.stats).toMatchObject({ requests: 1, retries: 0 });
    expectNoSecret(error, 'xyz789');
  });

  it('still sends a token with Latin-1 letters and inner spaces, which a header can carry', async () => {
    const exporter = client({ maxAttempts: 1, token: async () => 'caf\u00e9 token' });
    const error = await failure(exporter.stream(totals));
    // The simulator does not know it: the API, not the client, turned it down.
    expect(error).toBeInstanceOf(ExportAuthError);
    expect((error as ExportAuthError).status).toBe(401);
    expect(exporter.stats.requests).toBe(2);
  });
});

describe('the export client and answers it must not retry', () => {
  it('does not retry a 400, and names the field the API named', async () => {
    // The server's clock is ahead of the client's, so only the server sees "from" as too old.
    sim.setClock(NOW + 10 * TIME.DAY);
    const exporter = client({ now: () => NOW, maxAttempts: 5 });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(ExportRequestInvalidError);
    expect((error as ExportRequestInvalidError).status).toBe(400);
    expect((error as ExportRequestInvalidError).field).toBe('from');
    expect(error.message).toContain('only reaches back 7 days');
    expect(exporter.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('does not retry a 404, and suggests checking the base URL', async () => {
    const exporter = client({ baseUrl: `${sim.url}/wrong`, maxAttempts: 5 });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(ExportHttpError);
    expect((error as ExportHttpError).status).toBe(404);
    expect(error.message).toContain('Is the base URL');
    expect(exporter.stats.requests).toBe(1);
  });
});

describe('the export client and time limits', () => {
  it('stops an attempt at the deadline instead of waiting for the request timeout', async () => {
    faulted([{ kind: 'delay', ms: 60_000 }]);
    const exporter = client({ requestTimeoutMs: 30_000, deadline: Date.now() + 300 });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(exporter.stats.requests).toBe(1);
  });

  it('does not start a backoff sleep that would end past the deadline', async () => {
    faulted([{ status: 503 }, { status: 503 }]);
    const sleeps: number[] = [];
    const deadline = Date.now() + 60_000;
    const exporter = client({
      baseDelayMs: 1_000_000,
      maxDelayMs: 1_000_000,
      random: () => 0.5,
      deadline,
      maxAttempts: 5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).deadline).toBe(deadline);
    expect((error as DeadlineExceededError).cause).toBeInstanceOf(ExportServerError);
    expect(sleeps).toEqual([]);
    expect(exporter.stats.requests).toBe(1);
  });

  it('does not send anything once the deadline has passed', async () => {
    const exporter = client({ deadline: Date.now() - 1 });
    expect(await failure(exporter.stream(totals))).toBeInstanceOf(DeadlineExceededError);
    expect(exporter.stats.requests).toBe(0);
  });

  it('sleeps the full-jitter delay it drew, the ceiling doubling per retry', async () => {
    faulted([{ status: 502 }, { status: 502 }]);
    const sleeps: number[] = [];
    const exporter = client({
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(await collect(exporter.stream(totals))).toEqual(expected(totals));
    expect(sleeps).toEqual([50, 100]);
  });

  it('does not hammer on a Retry-After too large for a timer: one request, then the wait, until stopped', async () => {
    faulted([0, 1, 2].map(() => ({ status: 429, retryAfter: '9999999999' }) as const));
    const before = sim.stats.requests;
    const stop = new AbortController();
    // The real timer: before the cap, Node turned this wait into 1 ms and the client sent all
    // its attempts at once.
    const exporter = client({ maxAttempts: 4, signal: stop.signal });
    const stopped = failure(exporter.stream(totals));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sim.stats.requests - before).toBe(1);
    stop.abort(new Error('Ctrl-C'));
    const error = await stopped;
    expect(error).toBeInstanceOf(ExportAbortedError);
    expect(error.message).toContain('aborted while waiting to retry');
    expect((error.cause as Error).message).toBe('Ctrl-C');
    expect(sim.stats.requests - before).toBe(1);
  });

  it('defers at once when a huge Retry-After ends past the deadline, after one request', async () => {
    faulted([{ status: 429, retryAfter: '9999999999' }]);
    const before = sim.stats.requests;
    const started = Date.now();
    const exporter = client({ maxAttempts: 8, deadline: Date.now() + 60_000 });
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.message).toContain('would wait 9999999999 s');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sim.stats.requests - before).toBe(1);
  });

  it('stops an in-flight request when its client-wide signal fires', async () => {
    faulted([{ kind: 'drip', bytes: 8, everyMs: 100 }]);
    const stop = new AbortController();
    const exporter = client({ requestTimeoutMs: 30_000, signal: stop.signal });
    setTimeout(() => stop.abort(new Error('SIGTERM')), 300);
    const started = Date.now();
    const error = await failure(exporter.stream(totals));
    expect(error).toBeInstanceOf(ExportAbortedError);
    expect((error.cause as Error).message).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops a body that drips forever at the deadline, though no read ever times out', async () => {
    faulted([{ kind: 'drip', bytes: 8, everyMs: 100 }]);
    const exporter = client({ requestTimeoutMs: 30_000, deadline: Date.now() + 500 });
    const started = Date.now();
    expect(await failure(exporter.stream(totals))).toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exporter.stats.requests).toBe(1);
  });

  it('stops with ExportAbortedError when the caller aborts', async () => {
    faulted([{ kind: 'delay', ms: 60_000 }]);
    const controller = new AbortController();
    const exporter = client({ requestTimeoutMs: 30_000 });
    setTimeout(() => controller.abort(new Error('the Lambda is out of time')), 100);
    const error = await failure(exporter.stream(totals, { signal: controller.signal }));
    expect(error).toBeInstanceOf(ExportAbortedError);
    expect((error.cause as Error).message).toBe('the Lambda is out of time');
  });
});

describe('the export client under a rate limit that counts refused requests', () => {
  it('rides out a 429 storm with real backoff and returns all the data', async () => {
    sim.setRateLimit({ requests: 3, windowMs: 1_000 });
    const before = sim.stats.byStatus[429] ?? 0;
    const exporter = client({ baseDelayMs: 100, maxDelayMs: 2_000, maxAttempts: 12, sleep: undefined });
    const query = {
      ...totals,
      interval: '5m' as const,
      from: Date.UTC(2025, 5, 14, 0),
      to: Date.UTC(2025, 5, 15, 12),
    };
    const requests = exporter.plan(query);
    expect(requests.length).toBe(6);
    // Several sequential requests, each a separate stream, as the lake writer sends them.
    const windows = [...requests, ...requests];
    for (const request of windows) {
      expect(await collect(exporter.stream(request))).toEqual(expected(request));
    }
    expect((sim.stats.byStatus[429] ?? 0) - before).toBeGreaterThan(0);
    expect(exporter.stats.retries).toBeGreaterThan(0);
  });
});
