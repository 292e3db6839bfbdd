/**
 * Client behaviour that depends on exact bytes or headers (UTF-8 split across chunks, malformed
 * rows, Retry-After), mostly driven through the client's `fetch` option with hand-built responses
 * so every byte boundary is known; the redirect check uses two real local servers. Behaviour
 * against the API simulator lives in client-simulator.test.ts.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_DEFAULTS,
  DeadlineExceededError,
  ExportBodyError,
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
  ExportHttpError,
  ExportRequestInvalidError,
  ExportRowError,
  ExportTruncatedError,
} from '../../../lambdas/adapters/peer5-api/index.ts';
import type { ExportRequest, ExportRow } from '../../../lambdas/core/contract.ts';
import { TIME } from '../../../lambdas/core/contract.ts';
import type { ExportBatch } from '../../../lambdas/core/csv-lines.ts';
import { collect, failure } from './helpers.ts';

const NOW = Date.UTC(2025, 5, 15, 12);
const FROM = Date.UTC(2025, 5, 15, 9);
const REQUEST: ExportRequest = {
  interval: '1h',
  from: FROM,
  to: FROM + 2 * TIME.HOUR,
  metrics: ['http', 'sessions'],
  dimensions: ['city.name'],
};

/** A fetch that answers every call with `body` cut into byte chunks of `chunkSize`. */
function answering(body: string | Uint8Array, chunkSize = 1, status = 200): typeof fetch {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += chunkSize) controller.enqueue(bytes.slice(i, i + chunkSize));
          controller.close();
        },
      }),
      { status },
    );
}

function client(options: Partial<ExportClientOptions>): ExportClient {
  return new ExportClient({
    baseUrl: 'http://127.0.0.1:9/v1',
    token: async () => 'unit-token',
    now: () => NOW,
    maxAttempts: 1,
    ...options,
  });
}

const CITIES = ['São Paulo', 'Zürich', '東京', 'Tricky, "quoted" city', null, ''];

const expectedRows: ExportRow[] = CITIES.map((city, i) => ({
  timestamp: FROM + (i < 3 ? 0 : TIME.HOUR),
  dimensions: { 'city.name': city },
  metrics: { http: 1000 + i, sessions: i + 0.125 },
}));

const csvBody = `"timestamp","city.name","http","sessions"\n${expectedRows
  .map((row) => {
    const city = row.dimensions['city.name'];
    const field = city === null || city === undefined ? '' : `"${city.replaceAll('"', '""')}"`;
    return `${row.timestamp},${field},${row.metrics.http},${row.metrics.sessions}\n`;
  })
  .join('')}`;

const jsonBody = JSON.stringify({
  error: false,
  data: expectedRows.map((row) => ({ timestamp: row.timestamp, ...row.dimensions, ...row.metrics })),
});

describe('the export client reading bodies byte by byte', () => {
  it('decodes multi-byte UTF-8 split across chunks, in CSV and JSON alike', async () => {
    for (const chunkSize of [1, 2, 3, 5, 64]) {
      const csv = await collect(
        client({ format: 'csv', fetch: answering(csvBody, chunkSize) }).stream(REQUEST),
      );
      const json = await collect(
        client({ format: 'json', fetch: answering(jsonBody, chunkSize) }).stream(REQUEST),
      );
      expect(csv).toEqual(expectedRows);
      expect(json).toEqual(expectedRows);
    }
  });

  it('hands rows on in one batch per piece of the body, not one by one', async () => {
    for (const format of ['csv', 'json'] as const) {
      const body = format === 'csv' ? csvBody : jsonBody;
      const batches: ExportBatch[] = [];
      const whole = client({ format, fetch: answering(body, body.length), holdBackBytes: 0 });
      for await (const batch of whole.batches(REQUEST)) batches.push(batch);
      // At most two for one piece: a parser may keep the last line until the body ends whole.
      expect(batches.length).toBeLessThanOrEqual(2);
      expect(batches.flatMap((batch) => [...batch])).toEqual(expectedRows);
    }
  });

  it('counts bytes and rows in its stats', async () => {
    const exporter = client({ format: 'csv', fetch: answering(csvBody, 7) });
    await collect(exporter.stream(REQUEST));
    expect(exporter.stats).toEqual({
      requests: 1,
      retries: 0,
      rows: expectedRows.length,
      bytes: new TextEncoder().encode(csvBody).byteLength,
    });
  });

  it('rejects a body that is not valid UTF-8 as a body error', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('"timestamp","city.name","http","sessions"\n'),
      0xff,
    ]);
    const error = await failure(client({ format: 'csv', fetch: answering(bytes) }).stream(REQUEST));
    expect(error).toBeInstanceOf(ExportBodyError);
    expect(error.message).toContain('not valid UTF-8');
  });

  it('reports a body ending inside a multi-byte character as truncated', async () => {
    const bytes = new TextEncoder().encode(jsonBody.replace('"São Paulo"', '"東'));
    const cut = bytes.slice(0, bytes.indexOf(0xe6) + 2);
    const error = await failure(client({ format: 'json', fetch: answering(cut, 4) }).stream(REQUEST));
    expect(error).toBeInstanceOf(ExportTruncatedError);
  });
});

describe('the export client checking rows', () => {
  const header = '"timestamp","city.name","http","sessions"\n';
  const cases: { name: string; body: string; row: number; field: string; rule: RegExp }[] = [
    {
      name: 'a misaligned timestamp',
      body: `${header}${FROM + 1},"x",1,1\n`,
      row: 0,
      field: 'timestamp',
      rule: /not aligned to the 1h interval/,
    },
    {
      name: 'a timestamp outside the range',
      body: `${header}${FROM},"x",1,1\n${FROM + 2 * TIME.HOUR},"x",1,1\n`,
      row: 1,
      field: 'timestamp',
      rule: /outside the requested range/,
    },
    {
      name: 'a negative metric',
      body: `${header}${FROM},"x",-5,1\n`,
      row: 0,
      field: 'http',
      rule: /must be >= 0/,
    },
    {
      name: 'an empty metric',
      body: `${header}${FROM},"x",,1\n`,
      row: 0,
      field: 'http',
      rule: /is empty/,
    },
    {
      name: 'a metric that is not a number',
      body: `${header}${FROM},"x",1,"lots"\n`,
      row: 0,
      field: 'sessions',
      rule: /must be a number/,
    },
    {
      name: 'rows going back in time',
      body: `${header}${FROM + TIME.HOUR},"x",1,1\n${FROM},"x",1,1\n`,
      row: 1,
      field: 'timestamp',
      rule: /goes back in time/,
    },
    {
      name: 'a row with a field too few',
      body: `${header}${FROM},"x",1,1\n${FROM},"x",1\n`,
      row: 1,
      field: 'row',
      rule: /has 3 fields, expected 4/,
    },
    {
      name: 'a timestamp that is not an integer',
      body: `${header}${FROM}.5,"x",1,1\n`,
      row: 0,
      field: 'timestamp',
      rule: /must be an integer in milliseconds/,
    },
    {
      name: 'a metric too large to be finite',
      body: `${header}${FROM},"x",1e999,1\n`,
      row: 0,
      field: 'http',
      rule: /must be a finite number/,
    },
    {
      name: 'a header that does not match the request',
      body: '"timestamp","country.code","http","sessions"\n',
      row: -1,
      field: 'header',
      rule: /expected \["timestamp","city.name","http","sessions"\]/,
    },
  ];

  // Rows travel in one batch per piece of the body: each rule fires whether the bad row comes in
  // a piece of its own or in the middle of one piece holding the whole body.
  for (const { name, body, row, field, rule } of cases) {
    it(`names the row and field of ${name}, in small pieces of the body or in one`, async () => {
      for (const chunkSize of [16, body.length]) {
        const error = await failure(
          client({ format: 'csv', fetch: answering(body, chunkSize) }).stream(REQUEST),
        );
        expect(error).toBeInstanceOf(ExportRowError);
        const rowError = error as ExportRowError;
        expect([rowError.rowIndex, rowError.field]).toEqual([row, field]);
        expect(rowError.message).toMatch(rule);
        expect(rowError.retryable).toBe(false);
      }
    });
  }

  it('names a missing dimension or metric in a JSON row, and a value of the wrong type', async () => {
    const bodies: [string, string, RegExp][] = [
      [
        JSON.stringify({ error: false, data: [{ timestamp: FROM, http: 1, sessions: 1 }] }),
        'city.name',
        /missing/,
      ],
      [
        JSON.stringify({ error: false, data: [{ timestamp: FROM, 'city.name': 'x', http: 1 }] }),
        'sessions',
        /missing/,
      ],
      [
        JSON.stringify({ error: false, data: [{ timestamp: FROM, 'city.name': 7, http: 1, sessions: 1 }] }),
        'city.name',
        /string or null/,
      ],
      [
        JSON.stringify({
          error: false,
          data: [{ timestamp: FROM, 'city.name': 'x', http: '1', sessions: 1 }],
        }),
        'http',
        /must be a number/,
      ],
      [
        JSON.stringify({
          error: false,
          data: [{ timestamp: String(FROM), 'city.name': 'x', http: 1, sessions: 1 }],
        }),
        'timestamp',
        /integer in milliseconds/,
      ],
    ];
    for (const [body, field, rule] of bodies) {
      const error = await failure(client({ format: 'json', fetch: answering(body, 8) }).stream(REQUEST));
      expect(error).toBeInstanceOf(ExportRowError);
      expect((error as ExportRowError).field).toBe(field);
      expect(error.message).toMatch(rule);
      expect(error.message).toMatch(/^row 0/);
    }
  });
});

describe('the export client validating requests before sending them', () => {
  const cases: [string, ExportRequest, string, RegExp][] = [
    ['an empty metric list', { ...REQUEST, metrics: [] }, 'metrics', /must not be empty/],
    [
      'three dimensions',
      { ...REQUEST, dimensions: ['city.name', 'os.name', 'isp.name'] },
      'dimensions',
      /at most 2/,
    ],
    ['an unknown metric', { ...REQUEST, metrics: ['bytes' as 'http'] }, 'metrics', /unknown value "bytes"/],
    ['an empty filter', { ...REQUEST, filters: { 'os.name': [] } }, 'filters.os.name', /non-empty array/],
    [
      'a range too long for 1m',
      { ...REQUEST, interval: '1m', to: FROM + 7 * TIME.HOUR },
      'to',
      /at most 6 hours/,
    ],
    ['a from in seconds', { ...REQUEST, from: FROM / 1000 }, 'from', /looks like seconds/],
  ];
  for (const [name, request, field, rule] of cases) {
    it(`rejects ${name} without calling the API`, async () => {
      let calls = 0;
      const counting: typeof fetch = async (...args) => {
        calls++;
        return answering(csvBody)(...args);
      };
      const error = await failure(client({ fetch: counting }).stream(request));
      expect(error).toBeInstanceOf(ExportRequestInvalidError);
      expect((error as ExportRequestInvalidError).field).toBe(field);
      expect(error.message).toMatch(rule);
      expect(calls).toBe(0);
    });
  }

  it('plans a long query and checks every planned request before sending the first', async () => {
    let calls = 0;
    const counting: typeof fetch = async (...args) => {
      calls++;
      return answering(csvBody)(...args);
    };
    const query = { ...REQUEST, interval: '5m' as const, metrics: ['http', 'http'] as const };
    const error = await failure(client({ fetch: counting }).rows({ ...query, to: FROM + 13 * TIME.HOUR }));
    expect(error).toBeInstanceOf(ExportRequestInvalidError);
    expect(error.message).toContain('lists "http" twice');
    expect(calls).toBe(0);
  });
});

describe('the export client and Retry-After', () => {
  function sequence(responses: (() => Response | Promise<Response>)[]): typeof fetch {
    let call = 0;
    return async () => {
      const next = responses[Math.min(call++, responses.length - 1)];
      if (next === undefined) throw new Error('no response scripted');
      return next();
    };
  }
  const limited = (retryAfter: string) => () =>
    new Response('{"error": true, "message": "slow down"}', {
      status: 429,
      headers: { 'retry-after': retryAfter },
    });
  const ok = () => answering(csvBody, 64)('http://unused', {});

  it('waits at least as long as Retry-After says, in seconds or as an HTTP date', async () => {
    const sleeps: number[] = [];
    const exporter = client({
      maxAttempts: 3,
      baseDelayMs: 10,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      fetch: sequence([limited('3'), limited(new Date(Date.now() + 60_000).toUTCString()), ok]),
    });
    expect(await collect(exporter.stream(REQUEST))).toEqual(expectedRows);
    expect(sleeps[0]).toBe(3000);
    expect(sleeps[1]).toBeGreaterThan(55_000);
    expect(sleeps[1]).toBeLessThanOrEqual(60_000);
  });

  it('caps a huge Retry-After at the longest wait, so the timer cannot overflow into a busy loop', async () => {
    const sleeps: number[] = [];
    const events: ExportClientEvent[] = [];
    const exporter = client({
      maxAttempts: 2,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onEvent: (event) => events.push(event),
      fetch: sequence([limited('9999999999'), ok]),
    });
    expect(await collect(exporter.stream(REQUEST))).toEqual(expectedRows);
    expect(sleeps).toEqual([CLIENT_DEFAULTS.maxWaitMs]);
    expect(events.find((event) => event.type === 'retry')).toMatchObject({
      delayMs: CLIENT_DEFAULTS.maxWaitMs,
      requestedMs: 9_999_999_999_000,
    });
  });

  it('leaves a request whose Retry-After ends past the deadline for the next run, without waiting', async () => {
    const sleeps: number[] = [];
    const exporter = client({
      maxAttempts: 5,
      deadline: Date.now() + 15 * TIME.MINUTE,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      fetch: sequence([limited('3600'), ok]),
    });
    const error = await failure(exporter.stream(REQUEST));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.message).toMatch(/would wait 3600 s, past the deadline/);
    expect(sleeps).toEqual([]);
    expect(exporter.stats.requests).toBe(1);
  });

  it("waits what a 429's Retry-After asks, not its own longer backoff", async () => {
    const sleeps: number[] = [];
    const exporter = client({
      maxAttempts: 2,
      baseDelayMs: 10_000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      fetch: sequence([limited('1'), ok]),
    });
    await collect(exporter.stream(REQUEST));
    expect(sleeps).toEqual([1000]);
  });
});

describe('the export client and redirects', () => {
  it('does not follow a redirect, so the token never reaches another host', async () => {
    const seen: (string | undefined)[] = [];
    const target = createServer((request, response) => {
      seen.push(request.headers['x-auth-token'] as string | undefined);
      response.end(csvBody);
    });
    const redirecting = createServer((_request, response) => {
      const { port } = target.address() as AddressInfo;
      response.writeHead(307, { location: `http://127.0.0.1:${port}/v1/export?format=csv` }).end();
    });
    for (const server of [target, redirecting]) {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    try {
      const { port } = redirecting.address() as AddressInfo;
      const error = await failure(
        client({ baseUrl: `http://127.0.0.1:${port}/v1`, maxAttempts: 3 }).stream(REQUEST),
      );
      expect(error).toBeInstanceOf(ExportHttpError);
      expect((error as ExportHttpError).status).toBe(307);
      expect(error.message).toContain('redirects are not followed');
      expect(seen).toEqual([]);
    } finally {
      for (const server of [target, redirecting]) {
        server.closeAllConnections();
        server.close();
      }
    }
  });
});
