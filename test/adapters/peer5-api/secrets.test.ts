/**
 * The API token must never leave the client inside an error, its cause or an event: every error
 * type is provoked with a distinctive token, against the simulator and against a hostile server
 * that echoes the token back in every message it can.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadlineExceededError,
  ExportAbortedError,
  ExportApiError,
  ExportAuthError,
  ExportBodyError,
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
  ExportConnectionError,
  ExportHttpError,
  ExportRateLimitError,
  ExportRequestInvalidError,
  ExportRowError,
  ExportServerError,
  ExportTimeoutError,
  ExportTruncatedError,
  LookBackError,
} from '../../../lambdas/adapters/peer5-api/index.ts';
import { MAX_QUOTED_BODY_CHARS } from '../../../lambdas/adapters/peer5-api/status-errors.ts';
import { type ExportRequest, TIME } from '../../../lambdas/core/contract.ts';
import { ApiTokenError, tokenOfSecret } from '../../../lambdas/core/token.ts';
import { type RunningSimulator, type SimulatorFault, startSimulator } from '../../../simulator/index.ts';
import { expectNoSecret, failure } from './helpers.ts';

const SECRET = 'tok-SECRET-4f9c2e1d7b';
const OTHER_SECRET = 'tok-SECRET-refreshed-88a1';
const NOW = Date.UTC(2025, 5, 15, 12, 30);
const REQUEST: ExportRequest = {
  interval: '1h',
  from: Date.UTC(2025, 5, 15, 6),
  to: Date.UTC(2025, 5, 15, 12),
  metrics: ['http', 'p2p'],
  dimensions: ['country.code'],
};

const events: ExportClientEvent[] = [];
const errors = new Map<string, Error>();

function remember(error: Error): Error {
  errors.set(error.name, error);
  return error;
}

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ now: NOW, segments: 100, tokens: [SECRET] });
});

afterAll(async () => {
  await sim.close();
});

afterEach(async () => {
  sim.setClock(NOW);
  await fetch(new URL('/_sim/faults', sim.url), { method: 'DELETE' });
});

function client(options: Partial<ExportClientOptions> = {}): ExportClient {
  return new ExportClient({
    baseUrl: sim.url,
    token: async () => SECRET,
    now: () => sim.now(),
    maxAttempts: 1,
    requestTimeoutMs: 1_000,
    baseDelayMs: 1,
    maxDelayMs: 2,
    onEvent: (event) => events.push(event),
    ...options,
  });
}

describe('the API token against the simulator', () => {
  const faults: [SimulatorFault, new (...args: never[]) => Error][] = [
    [{ status: 429 }, ExportRateLimitError],
    [{ status: 503 }, ExportServerError],
    [{ kind: 'delay', ms: 5_000 }, ExportTimeoutError],
    [{ kind: 'truncate' }, ExportTruncatedError],
    [{ kind: 'reset' }, ExportConnectionError],
    [{ kind: 'error-body' }, ExportBodyError],
    [{ kind: 'html' }, ExportBodyError],
  ];
  for (const [fault, type] of faults) {
    it(`stays out of the ${type.name} for ${JSON.stringify(fault)}`, async () => {
      sim.queueFaults([fault]);
      const error = remember(await failure(client().stream(REQUEST)));
      expect(error).toBeInstanceOf(type);
      expectNoSecret(error, SECRET);
    });
  }

  it('stays out of a 400, a 404, a refused refresh, the deadline and an abort', async () => {
    sim.setClock(NOW + 20 * TIME.DAY);
    const invalid = remember(await failure(client({ now: () => NOW }).stream(REQUEST)));
    expect(invalid).toBeInstanceOf(ExportRequestInvalidError);
    sim.setClock(NOW);

    const missing = remember(await failure(client({ baseUrl: `${sim.url}/nowhere` }).stream(REQUEST)));
    expect(missing).toBeInstanceOf(ExportHttpError);

    const auth = remember(
      await failure(
        client({ token: async ({ refresh }) => (refresh ? OTHER_SECRET : `${SECRET}-old`) }).stream(REQUEST),
      ),
    );
    expect(auth).toBeInstanceOf(ExportAuthError);
    expectNoSecret(auth, OTHER_SECRET);

    sim.queueFaults([{ kind: 'delay', ms: 5_000 }]);
    const deadline = remember(
      await failure(client({ requestTimeoutMs: 10_000, deadline: Date.now() + 100 }).stream(REQUEST)),
    );
    expect(deadline).toBeInstanceOf(DeadlineExceededError);

    sim.queueFaults([{ kind: 'delay', ms: 5_000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = remember(
      await failure(client({ requestTimeoutMs: 10_000 }).stream(REQUEST, { signal: controller.signal })),
    );
    expect(aborted).toBeInstanceOf(ExportAbortedError);

    const lookBack = remember(
      await failure(
        client().rows({ ...REQUEST, interval: '1m', from: NOW - 30 * TIME.DAY - 30 * TIME.MINUTE }),
      ),
    );
    expect(lookBack).toBeInstanceOf(LookBackError);

    const clientSide = remember(await failure(client().stream({ ...REQUEST, metrics: [] })));
    expect(clientSide).toBeInstanceOf(ExportRequestInvalidError);

    for (const error of [invalid, missing, auth, deadline, aborted, lookBack, clientSide]) {
      expectNoSecret(error, SECRET);
    }
  });
});

/** A server that answers every request with the token it was sent, in every place it can. */
function hostile(answer: (token: string) => Response | Promise<Response>): typeof fetch {
  return async (_input, init) => {
    const headers = new Headers(init?.headers);
    return answer(headers.get('x-auth-token') ?? '');
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('the API token against a server that echoes it back', () => {
  const cases: [string, typeof fetch, new (...args: never[]) => Error][] = [
    [
      'a 400',
      hostile((t) => json(400, { error: true, message: `"from" is bad for token ${t}` })),
      ExportRequestInvalidError,
    ],
    ['a 401', hostile((t) => json(401, { error: true, message: `token ${t} is unknown` })), ExportAuthError],
    ['a 429', hostile((t) => json(429, { error: true, message: `slow down, ${t}` })), ExportRateLimitError],
    ['a 500', hostile((t) => new Response(`crash while serving ${t}`, { status: 500 })), ExportServerError],
    ['a 404', hostile((t) => json(404, { error: true, message: `no ${t} here` })), ExportHttpError],
    ['a 200 error body', hostile((t) => json(200, { error: true, message: `bad ${t}` })), ExportBodyError],
    [
      'a CSV header holding the token',
      hostile((t) => new Response(`"timestamp","${t}","http","p2p"\n`, { status: 200 })),
      ExportRowError,
    ],
    [
      'a network failure quoting the token',
      async (_input, init) => {
        const token = new Headers(init?.headers).get('x-auth-token');
        const cause = Object.assign(new Error(`socket hang up sending ${token}`), { code: 'ECONNRESET' });
        throw new TypeError(`fetch failed for header value ${token}`, { cause });
      },
      ExportConnectionError,
    ],
  ];
  for (const [name, fetchImpl, type] of cases) {
    it(`keeps the token out of the ${type.name} for ${name}`, async () => {
      const error = remember(
        await failure(
          new ExportClient({
            baseUrl: 'http://hostile.invalid/v1',
            token: async () => `  ${SECRET}\n`,
            now: () => NOW,
            maxAttempts: 1,
            onEvent: (event) => events.push(event),
            fetch: fetchImpl,
          }).stream(REQUEST),
        ),
      );
      expect(error).toBeInstanceOf(type);
      expect(error.message).toContain('[redacted]');
      expectNoSecret(error, SECRET);
    });
  }
});

/** Every run of `size` characters of `secret`: none may show in a message, not just the whole. */
function fragmentsOf(secret: string, size = 8): string[] {
  return Array.from({ length: secret.length - size + 1 }, (_, i) => secret.slice(i, i + size));
}

describe('the API token in a plain-text error body that is quoted only in part', () => {
  const TOKEN = 'tok-STRADDLE-7c1e9a4b2f6d';
  // The token starts so that the quote's cut falls 1, 8, half-way and all but 1 characters into it.
  const straddling = [1, 8, Math.floor(TOKEN.length / 2), TOKEN.length - 1].map(
    (inside): [string, number] => [
      `straddles the cut, ${inside} characters of it before`,
      MAX_QUOTED_BODY_CHARS - inside,
    ],
  );
  const cases: [string, number][] = [
    ...straddling,
    ['lies whole within the quote', 100],
    ['opens the body', 0],
  ];

  for (const [name, offset] of cases) {
    it(`leaves no piece of the token in the message when the token ${name}`, async () => {
      const error = await failure(
        new ExportClient({
          baseUrl: 'http://hostile.invalid/v1',
          token: async () => TOKEN,
          now: () => NOW,
          maxAttempts: 1,
          fetch: hostile((t) => new Response(`${'x'.repeat(offset)}${t} and more after it`, { status: 502 })),
        }).stream(REQUEST),
      );
      expect(error).toBeInstanceOf(ExportServerError);
      if (offset > 0) expect(error.message).toContain('x'.repeat(offset));
      for (const fragment of fragmentsOf(TOKEN)) expect(error.message).not.toContain(fragment);
      expectNoSecret(error, TOKEN);
    });
  }
});

describe('a secret that holds the token in the wrong shape', () => {
  const SECRET_NAME = 'peer5-reporter/api-token';
  // The Console's key/value editor makes this easy: the token typed as the key, the value empty.
  const shapes: [string, unknown][] = [
    ['the token as a JSON key (SecretString)', JSON.stringify({ [SECRET]: '' })],
    ['the token as a JSON key (parsed by middy)', { [SECRET]: '' }],
    ['the token under another key', { apiKey: SECRET }],
    ['the token under "Token"', JSON.stringify({ Token: SECRET })],
    ['a "token" key that is not a string, beside the token', { token: 1, [SECRET]: SECRET }],
    ['a JSON array', [SECRET]],
  ];
  for (const [name, value] of shapes) {
    it(`names the secret and the expected shape, never a key or value, for ${name}`, () => {
      let error: unknown;
      try {
        tokenOfSecret(value, SECRET_NAME);
      } catch (caught: unknown) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ApiTokenError);
      expect(String(error)).toContain(`"${SECRET_NAME}"`);
      expect(String(error)).toContain('{"token": "<token>"}');
      expectNoSecret(error, SECRET);
    });
  }

  it('stays out of the error of the request the client could not send', async () => {
    const error = await failure(
      client({ token: async () => tokenOfSecret({ [SECRET]: '' }, SECRET_NAME) }).stream(REQUEST),
    );
    expect(error).toBeInstanceOf(ExportAuthError);
    expect(error.message).toContain(`"${SECRET_NAME}"`);
    expectNoSecret(error, SECRET);
  });
});

describe('the API token across everything the client emitted', () => {
  it('appears in no event, and every error type was provoked', () => {
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) expectNoSecret(event, SECRET);
    expect([...errors.keys()].sort()).toEqual(
      [
        DeadlineExceededError,
        ExportAbortedError,
        ExportAuthError,
        ExportBodyError,
        ExportConnectionError,
        ExportHttpError,
        ExportRateLimitError,
        ExportRequestInvalidError,
        ExportRowError,
        ExportServerError,
        ExportTimeoutError,
        ExportTruncatedError,
        LookBackError,
      ]
        .map((type) => type.name)
        .sort(),
    );
    for (const error of errors.values()) expect(error).toBeInstanceOf(ExportApiError);
  });
});
