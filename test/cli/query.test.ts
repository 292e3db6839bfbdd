import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLocalLake } from '../../bin/cli/query.ts';
import { type DatasetDefinition, objectKey, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { runCli } from './run-cli.ts';

const [pages] = parseDatasets([
  {
    name: 'pages_1h',
    interval: '1h',
    metrics: ['http', 'sessions'],
    dimensions: ['session.page'],
    cadence: 'hourly',
  },
]) as [DatasetDefinition];

const START = Date.parse('2026-11-19T05:00:00Z');
const TRICKY = [
  'https://example.com/watch?v=1&t=2,3',
  'say "hi"',
  'C:\\temp\\video',
  'São Paulo, 東京',
  '=HYPERLINK("x")',
  '',
];

describe('query over a local lake', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'peer5-query-'));
    const encoder = new LakeCsvEncoder(pages);
    const rows = [...TRICKY, null].map((page, index) => ({
      timestamp: START,
      dimensions: { 'session.page': page },
      metrics: { http: index * 10, sessions: index + 0.5 },
    }));
    const file = path.join(root, objectKey('', windowAt(pages, START)));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, gzipSync(encoder.header + rows.map((row) => encoder.line(row)).join('')));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads back every text value exactly as the API sent it, with the Glue column names and types', async () => {
    const result = await queryLocalLake({
      sql: 'SELECT "timestamp", session_page, http, sessions, dt, hour FROM pages_1h ORDER BY http',
      lakeRoot: root,
      prefix: '',
      database: 'peer5_reporter',
      datasets: [pages],
    });
    expect(result.columns).toEqual(['timestamp', 'session_page', 'http', 'sessions', 'dt', 'hour']);
    expect(result.rows.map((row) => row.session_page)).toEqual([...TRICKY, null]);
    expect(result.rows[1]).toEqual({
      timestamp: START,
      session_page: 'say "hi"',
      http: 10,
      sessions: 1.5,
      dt: '2026-11-19',
      hour: '05',
    });
  });

  it('answers a table with no data yet with no rows instead of an error', async () => {
    const [empty] = parseDatasets([
      { name: 'nothing_yet', interval: '1h', metrics: ['p2p'], cadence: 'hourly' },
    ]);
    const result = await queryLocalLake({
      sql: 'SELECT count(*) AS n FROM peer5_reporter.nothing_yet',
      lakeRoot: root,
      prefix: '',
      database: 'peer5_reporter',
      datasets: [pages, ...(empty ? [empty] : [])],
    });
    expect(result.rows).toEqual([{ n: 0 }]);
  });
});

describe('Athena functions on the local engine', () => {
  const query = async (sql: string) =>
    (await queryLocalLake({ sql, lakeRoot: tmpdir(), prefix: '', database: 'peer5_reporter', datasets: [] }))
      .rows;
  const at = "TIMESTAMP '2026-01-04 13:04:05.123'";
  const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it("formats dates with Athena's date_format codes", async () => {
    const cases: [format: string, expected: string][] = [
      ['%Y-%m-%d', '2026-01-04'],
      ['%Y-%m-%d %H:%i:%s', '2026-01-04 13:04:05'],
      ['%a %W %b %M', 'Sun Sunday Jan January'],
      ['%c/%e %k %l %h %I %p', '1/4 13 1 01 01 PM'],
      ['%j %y %v %x', '004 26 01 2026'],
      ['%r | %T | %S.%f', '01:04:05 PM | 13:04:05 | 05.123000'],
      ['%% %%i %Q 100%', '% %i Q 100'],
      ['line\nbreak', 'line\nbreak'],
    ];
    const rows = await query(
      `SELECT ${cases.map(([format], index) => `date_format(${at}, '${format}') AS c${index}`).join(', ')}`,
    );
    expect(rows).toEqual([Object.fromEntries(cases.map(([, expected], index) => [`c${index}`, expected]))]);
  });

  it('formats dates and the current date as Athena does, in UTC', async () => {
    const before = Date.now();
    const [row] = await query(
      "SELECT date_format(DATE '2026-03-05', '%e/%c/%Y %H:%i') AS day, " +
        "date_format(current_date - interval '7' day, '%Y-%m-%d') AS week_ago, " +
        "date_format(NULL, '%Y') AS nothing, current_setting('TimeZone') AS zone",
    );
    const after = Date.now();
    expect(row).toMatchObject({ day: '5/3/2026 00:00', nothing: null, zone: 'UTC' });
    expect([utcDay(before - 7 * 86_400_000), utcDay(after - 7 * 86_400_000)]).toContain(row?.week_ago);
  });

  it('rejects the date_format codes Athena rejects, naming the code', async () => {
    for (const code of ['%D', '%U', '%u', '%V', '%w', '%X']) {
      await expect(query(`SELECT date_format(${at}, 'day ${code}') AS x`)).rejects.toThrow(
        `date_format: ${code} not supported in date format string`,
      );
    }
  });

  it('reads Unix seconds with from_unixtime and truncates them with date_trunc, in UTC', async () => {
    const rows = await query(
      'SELECT from_unixtime(1764003723456 / 1000) AS at, ' +
        "date_trunc('hour', from_unixtime(1764003723456 / 1000)) AS hour_utc, " +
        "date_format(from_unixtime(1764003723456 / 1000), '%Y-%m-%d %T.%f') AS formatted",
    );
    expect(rows).toEqual([
      {
        at: '2025-11-24 17:02:03.456+00',
        hour_utc: '2025-11-24 17:00:00+00',
        formatted: '2025-11-24 17:02:03.456000',
      },
    ]);
  });

  it('counts with approx_distinct, count_if, nullif and round', async () => {
    const rows = await query(
      'SELECT approx_distinct(i % 7) AS kinds, count_if(i > 5) AS big, ' +
        'round(100.0 * count_if(i > 5) / nullif(count(*), 0), 1) AS big_pct, nullif(0, 0) AS none ' +
        'FROM range(10) AS t(i)',
    );
    expect(rows).toEqual([{ kinds: 7, big: 4, big_pct: 40, none: null }]);
  });

  it('returns sums, decimals, timestamps, dates and lists as values JSON can print', async () => {
    const rows = await query(
      "SELECT sum(i) AS total, round(CAST(2.55 AS DECIMAL(4, 2)), 1) AS share, TIMESTAMP '2026-11-25 05:00:00' AS at, " +
        "DATE '2026-11-25' AS day, [1, 2] AS list FROM range(3) AS t(i)",
    );
    expect(rows).toEqual([
      { total: 3, share: 2.6, at: '2026-11-25 05:00:00', day: '2026-11-25', list: [1, 2] },
    ]);
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows);
  });
});

describe('the query command', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'peer5-query-cli-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('answers current_date, now() and current_timestamp as of --now, in UTC', async () => {
    const result = await runCli(
      [
        'query',
        "SELECT current_date AS today, now() AS at, current_timestamp AS ts, date_format(current_date - interval '1' day, '%Y-%m-%d') AS yesterday",
        '--now',
        '2026-11-25T08:00:00Z',
        '--lake',
        path.join(work, 'empty'),
        '--json',
      ],
      { cwd: work, env: { TZ: 'Pacific/Kiritimati' } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        today: '2026-11-25',
        at: '2026-11-25 08:00:00+00',
        ts: '2026-11-25 08:00:00+00',
        yesterday: '2026-11-24',
      },
    ]);
  });

  it('refuses a --now that is no moment, naming the flag', async () => {
    const result = await runCli(['query', 'SELECT 1', '--now', 'yesterday'], { cwd: work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--now must be an ISO 8601 date/);
  });
});
