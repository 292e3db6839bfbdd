import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  alignDown,
  type ExportRequest,
  INTERVAL_LIMITS,
  INTERVAL_MS,
  INTERVALS,
  type Interval,
  TIME,
} from '../../lambdas/core/contract.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type Answer, errorMessage, exportData, postExport } from './http.ts';

const { MINUTE, HOUR, DAY } = TIME;
/** Wednesday 2024-05-15 12:00 UTC: aligned to every interval up to 12h. */
const NOW = Date.UTC(2024, 4, 15, 12);
const BASE = { from: NOW - 2 * HOUR, to: NOW, interval: '1h', metrics: ['http', 'p2p'] };

type Row = Record<string, string | number | null>;

function expectError(answer: Answer, status: number, pattern: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(JSON.parse(answer.text)).toEqual({ error: true, message: expect.any(String) });
  expect(errorMessage(answer)).toMatch(pattern);
}

/** The API's row order: timestamp, then each dimension value, null first, then code-unit order. */
function compareRows(a: Row, b: Row, dimensions: readonly string[]): number {
  if (a.timestamp !== b.timestamp) return Number(a.timestamp) - Number(b.timestamp);
  for (const dimension of dimensions) {
    const left = a[dimension] ?? null;
    const right = b[dimension] ?? null;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return String(left) < String(right) ? -1 : 1;
  }
  return 0;
}

/** An independent CSV encoder, to check the simulator's CSV against its JSON. */
function csvLine(values: readonly (string | number | null)[]): string {
  return `${values
    .map((value) =>
      value === null ? '' : typeof value === 'string' ? `"${value.replaceAll('"', '""')}"` : String(value),
    )
    .join(',')}\n`;
}

describe('the simulator over HTTP', () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW });
  });
  afterAll(async () => {
    await simulator.close();
  });
  beforeEach(() => {
    simulator.setClock(NOW);
    simulator.setRateLimit(null);
  });

  describe('responses', () => {
    it('answers a legal request with 200 and a JSON body {"error": false, "data": [...]}', async () => {
      const answer = await postExport(simulator, BASE);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = JSON.parse(answer.text) as { error: boolean; data: Row[] };
      expect(body.error).toBe(false);
      expect(body.data.map((row) => row.timestamp)).toEqual([NOW - 2 * HOUR, NOW - HOUR]);
    });

    it('treats format=json like no format', async () => {
      const plain = await postExport(simulator, BASE);
      const json = await postExport(simulator, BASE, { format: 'json' });
      expect(json.status).toBe(200);
      expect(json.text).toBe(plain.text);
    });

    it('puts timestamp first, then the dimensions and the metrics in the requested order', async () => {
      const data = await exportData(simulator, {
        ...BASE,
        dimensions: ['os.name', 'browser.name'],
        metrics: ['sessions', 'http', 'rebuffered'],
      });
      expect(data.length).toBeGreaterThan(2);
      for (const row of data) {
        expect(Object.keys(row)).toEqual([
          'timestamp',
          'os.name',
          'browser.name',
          'sessions',
          'http',
          'rebuffered',
        ]);
      }
    });

    it('sorts rows by timestamp, then by dimension values with null first', async () => {
      const dimensions = ['country.code', 'city.name'];
      const data = await exportData(simulator, { ...BASE, from: NOW - 3 * HOUR, dimensions });
      const sorted = [...data].sort((a, b) => compareRows(a, b, dimensions));
      expect(data).toEqual(sorted);
      expect(data[0]?.['country.code']).toBeNull();
      expect(new Set(data.map((row) => row.timestamp)).size).toBe(3);
    });

    it('returns one row per bucket without dimensions, zeros included', async () => {
      const data = await exportData(simulator, {
        ...BASE,
        from: NOW - 6 * HOUR,
        metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
        filters: { 'country.code': ['ZZ'] },
      });
      expect(data.map((row) => row.timestamp)).toEqual([6, 5, 4, 3, 2, 1].map((h) => NOW - h * HOUR));
      for (const row of data) {
        expect(row).toMatchObject({ http: 0, p2p: 0, played: 0, rebuffered: 0, sessions: 0 });
      }
    });

    it('returns only combinations with activity when there are dimensions', async () => {
      const data = await exportData(simulator, {
        ...BASE,
        filters: { 'country.code': ['ZZ'] },
        dimensions: ['country.code'],
      });
      expect(data).toEqual([]);
    });

    it('gives whole bytes and milliseconds, sessions to at most 3 decimals, nothing negative', async () => {
      const data = await exportData(simulator, {
        ...BASE,
        interval: '5m',
        from: NOW - HOUR,
        metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
        dimensions: ['browser.name'],
      });
      expect(data.length).toBeGreaterThan(12);
      for (const row of data) {
        for (const metric of ['http', 'p2p', 'played', 'rebuffered']) {
          expect(Number.isSafeInteger(row[metric])).toBe(true);
          expect(row[metric]).toBeGreaterThanOrEqual(0);
        }
        const sessions = Number(row.sessions);
        expect(sessions).toBeGreaterThanOrEqual(0);
        expect(Math.round(sessions * 1000) / 1000).toBe(sessions);
      }
    });
  });

  describe('CSV', () => {
    it('quotes every header name and ends every line with \\n', async () => {
      const answer = await postExport(
        simulator,
        { ...BASE, dimensions: ['browser.name'], metrics: ['p2p', 'sessions'] },
        { format: 'csv' },
      );
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(answer.text.startsWith('"timestamp","browser.name","p2p","sessions"\n')).toBe(true);
      expect(answer.text.endsWith('\n')).toBe(true);
      expect(answer.text).not.toContain('\r');
    });

    it('holds the same rows as JSON in the same order, strings quoted, numbers bare, null empty', async () => {
      const request = {
        ...BASE,
        from: NOW - 3 * HOUR,
        dimensions: ['isp.name', 'city.name'],
        metrics: ['http', 'sessions'],
      };
      const data = await exportData(simulator, request);
      const csv = await postExport(simulator, request, { format: 'csv' });
      const expected =
        csvLine(['timestamp', 'isp.name', 'city.name', 'http', 'sessions']) +
        data
          .map((row) =>
            csvLine(['timestamp', 'isp.name', 'city.name', 'http', 'sessions'].map((k) => row[k] ?? null)),
          )
          .join('');
      expect(csv.text).toBe(expected);
    });

    it('writes tricky values exactly (golden lines: commas, quotes, non-ASCII, = + - @)', async () => {
      const request = {
        ...BASE,
        from: NOW - HOUR,
        metrics: ['http'],
        dimensions: ['isp.name', 'city.name'],
        filters: {
          'isp.name': [
            'Kabel "Plus" GmbH, Wien',
            '=Net Telecom',
            '+Plus Mobile',
            '-Dash Networks',
            '@Home Fiber',
          ],
          'city.name': ['Wien', 'Paris', 'Mumbai', 'London', 'Washington, D.C.'],
        },
      };
      const data = await exportData(simulator, request);
      const http = (isp: string, city: string) =>
        data.find((row) => row['isp.name'] === isp && row['city.name'] === city)?.http;
      const lines = (await postExport(simulator, request, { format: 'csv' })).text.split('\n');
      const at = NOW - HOUR;
      expect(lines).toContain(
        `${at},"Kabel ""Plus"" GmbH, Wien","Wien",${http('Kabel "Plus" GmbH, Wien', 'Wien')}`,
      );
      expect(lines).toContain(`${at},"=Net Telecom","Paris",${http('=Net Telecom', 'Paris')}`);
      expect(lines).toContain(`${at},"+Plus Mobile","Mumbai",${http('+Plus Mobile', 'Mumbai')}`);
      expect(lines).toContain(`${at},"-Dash Networks","London",${http('-Dash Networks', 'London')}`);
      expect(lines).toContain(
        `${at},"@Home Fiber","Washington, D.C.",${http('@Home Fiber', 'Washington, D.C.')}`,
      );
    });

    it('writes non-ASCII cities and page URLs with markup and long query strings exactly', async () => {
      const cities = await postExport(
        simulator,
        {
          ...BASE,
          from: NOW - HOUR,
          metrics: ['p2p'],
          dimensions: ['city.name'],
          filters: { 'city.name': ['São Paulo', 'Zürich', '東京'] },
        },
        { format: 'csv' },
      );
      const cityLines = cities.text.split('\n');
      expect(cityLines.map((line) => line.split(',')[1])).toEqual(
        expect.arrayContaining(['"São Paulo"', '"Zürich"', '"東京"']),
      );
      const pages = await postExport(
        simulator,
        { ...BASE, from: NOW - HOUR, metrics: ['p2p'], dimensions: ['session.page'] },
        { format: 'csv' },
      );
      expect(pages.text).toContain(`,"https://video.example.com/search?q=<script>alert(""p2p"")</script>",`);
      expect(pages.text).toContain(`,"https://video.example.com/embed?title=""Final, live""&autoplay=1",`);
      expect(pages.text).toMatch(
        /,"https:\/\/video\.example\.com\/watch\?v=9xYz&utm_source=[^"]{200,}",\d+\n/,
      );
    });

    it('writes an unknown value as null in JSON and as an empty unquoted field in CSV', async () => {
      const request = {
        ...BASE,
        from: NOW - HOUR,
        metrics: ['http'],
        dimensions: ['city.name'],
        filters: { 'country.code': ['US'] },
      };
      const data = await exportData(simulator, request);
      expect(data[0]?.['city.name']).toBeNull();
      const csv = await postExport(simulator, request, { format: 'csv' });
      expect(csv.text.split('\n')[1]).toBe(`${NOW - HOUR},,${data[0]?.http}`);
    });
  });

  describe('time', () => {
    it('leaves out buckets that have not started when the range reaches into the future', async () => {
      simulator.setClock(NOW + 30 * MINUTE);
      const data = await exportData(simulator, { ...BASE, from: NOW - 2 * HOUR, to: NOW + 5 * HOUR });
      expect(data.map((row) => row.timestamp)).toEqual([NOW - 2 * HOUR, NOW - HOUR, NOW]);
    });

    it('returns no rows for a range wholly in the future', async () => {
      const data = await exportData(simulator, { ...BASE, from: NOW + HOUR, to: NOW + 3 * HOUR });
      expect(data).toEqual([]);
    });

    it('returns partial numbers for the running bucket', async () => {
      simulator.setClock(NOW + 30 * MINUTE);
      const request: ExportRequest = { from: NOW, to: NOW + HOUR, interval: '1h', metrics: ['http', 'p2p'] };
      const [running] = await exportData(simulator, request);
      const [final] = [...simulator.rows(request, { asOf: 'final' })];
      expect(Number(running?.http)).toBeGreaterThan(0);
      expect(Number(running?.http)).toBeLessThan(Number(final?.metrics.http) * 0.6);
    });

    it('rejects timestamps in seconds with a message that says so', async () => {
      const from = await postExport(simulator, { ...BASE, from: (NOW - 2 * HOUR) / 1000 });
      expectError(from, 400, /"from" must be in milliseconds; .* looks like seconds/);
      const to = await postExport(simulator, { ...BASE, to: NOW / 1000 });
      expectError(to, 400, /"to" must be in milliseconds; .* looks like seconds/);
    });
  });

  describe('validation: every rule answers 400 naming the field and the rule', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown interval', { interval: '2h' }, /"interval" must be one of 1m, 5m/],
      ['a missing interval', { interval: undefined }, /"interval" must be one of/],
      [
        'a "from" that is not a number',
        { from: String(NOW - 2 * HOUR) },
        /"from" must be an integer timestamp in milliseconds/,
      ],
      ['a fractional "to"', { to: NOW + 0.5 }, /"to" must be an integer timestamp/],
      ['a missing "to"', { to: undefined }, /"to" must be an integer timestamp/],
      [
        'a "from" off the interval grid',
        { from: NOW - 2 * HOUR + MINUTE },
        /"from" must be a multiple of the 1h interval/,
      ],
      [
        'a "to" off the interval grid',
        { to: NOW - 5 * MINUTE },
        /"to" must be a multiple of the 1h interval/,
      ],
      [
        'a 1d "from" not at 00:00 UTC',
        { interval: '1d', from: NOW - DAY, to: alignDown(NOW, '1d') + DAY },
        /"from" must be a multiple of the 1d interval/,
      ],
      [
        'a 7d "from" not counted from the epoch',
        { interval: '7d', from: alignDown(NOW, '7d') - DAY, to: alignDown(NOW, '7d') + 7 * DAY },
        /"from" must be a multiple of the 7d interval/,
      ],
      ['"from" equal to "to"', { from: NOW, to: NOW }, /"to" must be greater than "from"/],
      ['"from" after "to"', { from: NOW, to: NOW - HOUR }, /"to" must be greater than "from"/],
      ['missing metrics', { metrics: undefined }, /"metrics" must be an array/],
      ['empty metrics', { metrics: [] }, /"metrics" must not be empty/],
      ['an unknown metric', { metrics: ['http', 'views'] }, /"metrics" has unknown value "views"/],
      ['a repeated metric', { metrics: ['http', 'http'] }, /"metrics" lists "http" twice/],
      ['dimensions that are not an array', { dimensions: 'browser.name' }, /"dimensions" must be an array/],
      [
        'three dimensions',
        { dimensions: ['browser.name', 'os.name', 'country.code'] },
        /"dimensions" allows at most 2 entries/,
      ],
      [
        'an unknown dimension',
        { dimensions: ['device.type'] },
        /"dimensions" has unknown value "device.type"/,
      ],
      ['a repeated dimension', { dimensions: ['os.name', 'os.name'] }, /"dimensions" lists "os.name" twice/],
      ['filters that are not an object', { filters: ['browser.name'] }, /"filters" must be an object/],
      [
        'an unknown filter key',
        { filters: { 'device.type': ['TV'] } },
        /"filters" has unknown key "device.type"/,
      ],
      [
        'an empty filter',
        { filters: { 'browser.name': [] } },
        /"filters.browser.name" must be a non-empty array of strings/,
      ],
      [
        'a filter with a non-string value',
        { filters: { 'country.code': [1] } },
        /"filters.country.code" must be a non-empty array of strings/,
      ],
    ];
    it.each(cases)('rejects %s', async (_name, patch, pattern) => {
      const answer = await postExport(simulator, { ...BASE, ...patch });
      expectError(answer, 400, pattern);
    });

    it('rejects a body that is not JSON', async () => {
      expectError(
        await postExport(simulator, null, { rawBody: '{"from": ' }),
        400,
        /request body is not valid JSON/,
      );
    });

    it('rejects an empty body', async () => {
      expectError(await postExport(simulator, null, { rawBody: '' }), 400, /request body is empty/);
    });

    it('rejects a JSON body that is not an object', async () => {
      expectError(await postExport(simulator, [BASE]), 400, /request body must be a JSON object/);
    });

    it('rejects a format other than json or csv, with a JSON error body', async () => {
      expectError(
        await postExport(simulator, BASE, { format: 'xml' }),
        400,
        /"format" must be json or csv; got "xml"/,
      );
    });
  });

  describe('authentication and routing', () => {
    it('answers 401 when X-Auth-Token is missing', async () => {
      expectError(await postExport(simulator, BASE, { token: null }), 401, /X-Auth-Token header is missing/);
    });

    it('answers 401 for an unknown token, without repeating it, in JSON even for format=csv', async () => {
      const answer = await postExport(simulator, BASE, { token: 'secret-guess-123', format: 'csv' });
      expectError(answer, 401, /unknown token/);
      expect(answer.text).not.toContain('secret-guess-123');
    });

    it('answers 404 for another path', async () => {
      for (const path of ['/v1/exports', '/v2/export', '/export', '/']) {
        const response = await fetch(`${simulator.url.replace(/\/v1$/, '')}${path}`, {
          method: 'POST',
          body: '{}',
        });
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({
          error: true,
          message: expect.stringContaining('POST /v1/export'),
        });
      }
    });

    it('answers 405 with Allow: POST for another method on /v1/export', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await fetch(`${simulator.url}/export`, {
          method,
          headers: { 'X-Auth-Token': 'demo-token' },
        });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('POST');
        expect(await response.json()).toEqual({
          error: true,
          message: expect.stringContaining(`method ${method}`),
        });
      }
    });
  });

  describe('filters', () => {
    const hour = { ...BASE, from: NOW - HOUR, metrics: ['http', 'p2p', 'played'] };
    const sumOf = (rows: Row[], metric: string) => rows.reduce((sum, row) => sum + Number(row[metric]), 0);

    it('ORs the values of one key', async () => {
      const [both] = await exportData(simulator, {
        ...hour,
        filters: { 'browser.name': ['Chrome', 'Safari'] },
      });
      const [chrome] = await exportData(simulator, { ...hour, filters: { 'browser.name': ['Chrome'] } });
      const [safari] = await exportData(simulator, { ...hour, filters: { 'browser.name': ['Safari'] } });
      for (const metric of ['http', 'p2p', 'played']) {
        expect(both?.[metric]).toBe(Number(chrome?.[metric]) + Number(safari?.[metric]));
      }
    });

    it('ANDs different keys', async () => {
      const [filtered] = await exportData(simulator, {
        ...hour,
        filters: { 'country.code': ['US'], 'browser.name': ['Safari'] },
      });
      const split = await exportData(simulator, { ...hour, dimensions: ['country.code', 'browser.name'] });
      const match = split.find((row) => row['country.code'] === 'US' && row['browser.name'] === 'Safari');
      expect(Number(filtered?.http)).toBeGreaterThan(0);
      expect(filtered?.http).toBe(match?.http);
      expect(filtered?.played).toBe(match?.played);
    });

    it('matches values exactly: no case folding, no prefixes', async () => {
      for (const value of ['chrome', 'Chrom', 'Chrome ']) {
        const [row] = await exportData(simulator, { ...hour, filters: { 'browser.name': [value] } });
        expect(row).toMatchObject({ http: 0, p2p: 0, played: 0 });
      }
    });

    it('allows a field as filter and dimension at once', async () => {
      const data = await exportData(simulator, {
        ...hour,
        dimensions: ['browser.name'],
        filters: { 'browser.name': ['Firefox', 'Opera'] },
      });
      expect(data.map((row) => row['browser.name'])).toEqual(['Firefox', 'Opera']);
      const all = await exportData(simulator, { ...hour, dimensions: ['browser.name'] });
      expect(sumOf(data, 'http')).toBe(
        sumOf(
          all.filter((row) => ['Firefox', 'Opera'].includes(String(row['browser.name']))),
          'http',
        ),
      );
    });
  });

  describe('rate limit', () => {
    it('answers 429 past the limit, without Retry-After, and refused requests keep counting', async () => {
      simulator.setRateLimit({ requests: 1, windowMs: 60_000 });
      expect((await postExport(simulator, BASE)).status).toBe(200);
      const refused = await postExport(simulator, BASE);
      expectError(refused, 429, /rate limit/);
      expect(refused.headers.get('retry-after')).toBeNull();

      // 40 s later the accepted request is still in the window.
      simulator.setClock(NOW + 40_000);
      expect((await postExport(simulator, BASE)).status).toBe(429);
      // 70 s after the start the accepted request has left the window, but the request refused
      // at 40 s still counts, so a client that keeps retrying stays locked out.
      simulator.setClock(NOW + 70_000);
      expect((await postExport(simulator, BASE)).status).toBe(429);
      // Only once a whole quiet window has passed does the limit let requests through again.
      simulator.setClock(NOW + 200_000);
      expect((await postExport(simulator, BASE)).status).toBe(200);
    });

    it('counts every status in its stats', async () => {
      const before = { ...simulator.stats.byStatus };
      const requests = simulator.stats.requests;
      await postExport(simulator, BASE, { token: null });
      await postExport(simulator, BASE);
      expect(simulator.stats.requests).toBe(requests + 2);
      expect(simulator.stats.byStatus[401]).toBe((before[401] ?? 0) + 1);
      expect(simulator.stats.byStatus[200]).toBe((before[200] ?? 0) + 1);
    });
  });
});

describe('the simulator range and look-back limits', () => {
  // A small population: these tests are about status codes, and some ranges are long.
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 20 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  const limited = (kind: 'maxRangeMs' | 'lookBackMs') =>
    INTERVALS.filter((interval) => INTERVAL_LIMITS[interval][kind] !== null).map((interval) => [
      interval,
      INTERVAL_LIMITS[interval][kind] as number,
    ]) as [Interval, number][];
  const unlimited = (kind: 'maxRangeMs' | 'lookBackMs') =>
    INTERVALS.filter((interval) => INTERVAL_LIMITS[interval][kind] === null);

  it.each(limited('maxRangeMs'))(
    'allows a %s range of exactly the limit and rejects one bucket more',
    async (interval, max) => {
      const from = NOW - max;
      const inside = await postExport(simulator, { from, to: from + max, interval, metrics: ['http'] });
      expect(inside.status).toBe(200);
      const outside = await postExport(simulator, {
        from,
        to: from + max + INTERVAL_MS[interval],
        interval,
        metrics: ['http'],
      });
      expectError(
        outside,
        400,
        new RegExp(`the ${interval} interval allows a range of at most .*"to" - "from"`),
      );
    },
  );

  it.each(limited('lookBackMs'))(
    'allows a %s "from" exactly at the look-back limit and rejects one bucket older',
    async (interval, lookBack) => {
      const length = INTERVAL_MS[interval];
      const oldest = NOW - lookBack;
      const inside = await postExport(simulator, {
        from: oldest,
        to: oldest + length,
        interval,
        metrics: ['http'],
      });
      expect(inside.status).toBe(200);
      const outside = await postExport(simulator, {
        from: oldest - length,
        to: oldest,
        interval,
        metrics: ['http'],
      });
      expectError(outside, 400, new RegExp(`the ${interval} interval only reaches back .*"from" is too old`));
    },
  );

  it.each(unlimited('maxRangeMs'))('allows a %s range longer than any limit', async (interval) => {
    const length = INTERVAL_MS[interval];
    const lookBack = INTERVAL_LIMITS[interval].lookBackMs;
    const from =
      alignDown(lookBack === null ? NOW - 400 * DAY : NOW - lookBack, interval) +
      (lookBack === null ? 0 : length);
    const to = alignDown(NOW + 60 * DAY, interval);
    const answer = await postExport(simulator, { from, to, interval, metrics: ['http'] });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { data: unknown[] }).data.length).toBe(
      Math.ceil((NOW - from) / length),
    );
  });

  it.each(unlimited('lookBackMs'))('allows a %s "from" years in the past', async (interval) => {
    const from = alignDown(Date.UTC(2016, 0, 20), interval);
    const answer = await postExport(simulator, {
      from,
      to: from + INTERVAL_MS[interval],
      interval,
      metrics: ['p2p'],
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { data: Row[] }).data).toHaveLength(1);
  });
});
