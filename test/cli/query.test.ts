import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLocalLake } from '../../bin/cli/query.ts';
import {
  type DatasetDefinition,
  DEFAULT_DATASETS,
  parseDatasets,
  windowAt,
} from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
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

/** Writes one hour of `by_country_1h` (one row per country) into a lake folder, as the writer does. */
async function writeCountries(lakeRoot: string, countries: readonly string[]): Promise<void> {
  const dataset = DEFAULT_DATASETS.find((candidate) => candidate.name === 'by_country_1h');
  if (dataset === undefined) throw new Error('by_country_1h is a default dataset');
  const encoder = new LakeCsvEncoder(dataset);
  const lines = countries.map((country, index) =>
    encoder.line({
      timestamp: START,
      dimensions: { 'country.code': country },
      metrics: { http: 100, p2p: index, played: 10, rebuffered: 0, sessions: 1 },
    }),
  );
  const file = path.join(lakeRoot, objectKey('', windowAt(dataset, START)));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, gzipSync(encoder.header + lines.join('')));
}
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

  it('queries ./local/lake in a folder whose config file describes a deployment', async () => {
    const configs = {
      // The README's example of a deployment's config file.
      deployment: {
        bucketName: 'acme-data-lake',
        prefix: 'peer5',
        secretName: 'peer5-reporter/api-token',
        sender: 'Peer5 Reports <reports@acme.tv>',
        recipients: ['ops@acme.tv'],
        timeZone: 'Europe/Berlin',
      },
      'sender only': { sender: 'reports@acme.tv' },
    };
    for (const [name, config] of Object.entries(configs)) {
      const folder = path.join(work, name.replaceAll(' ', '-'));
      await writeCountries(path.join(folder, 'local', 'lake'), ['DE', 'FR', 'BR']);
      await writeFile(path.join(folder, 'peer5-reporter.config.json'), JSON.stringify(config));
      const result = await runCli(
        ['query', 'SELECT count(*) AS countries, sum(p2p) AS p2p FROM by_country_1h', '--json'],
        { cwd: folder },
      );
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout), name).toEqual([{ countries: 3, p2p: 3 }]);
    }
  });

  it('says which lake it reads when the config file names a deployed bucket', async () => {
    const result = await runCli(['query', 'SELECT 1 AS one'], { cwd: path.join(work, 'deployment') });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `Querying the local lake ${path.join(work, 'deployment', 'local', 'lake')}`,
    );
    expect(result.stderr).toContain('s3://acme-data-lake is queried with Athena');
  });

  it('queries the folder that "lake" names in the config file', async () => {
    const folder = path.join(work, 'own-lake');
    await writeCountries(path.join(folder, 'my-lake'), ['NL']);
    await writeFile(path.join(folder, 'peer5-reporter.config.json'), JSON.stringify({ lake: 'my-lake' }));
    const result = await runCli(['query', 'SELECT country_code FROM by_country_1h', '--json'], {
      cwd: folder,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ country_code: 'NL' }]);
  });

  it('offers a folder only in --help, and refuses an s3:// lake, pointing to Athena', async () => {
    const help = await runCli(['query', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /--lake DIR\s+the lake folder \(default \.\/local\/lake\); query an S3 lake with Athena/,
    );
    expect(help.stdout).not.toContain('s3://');

    const s3 = await runCli(['query', 'SELECT 1', '--lake', 's3://acme-data-lake/peer5'], { cwd: work });
    expect(s3.code).toBe(2);
    expect(s3.stderr).toContain('--lake: query reads a local folder');
    expect(s3.stderr).toContain('query an S3 lake with Athena');
  });

  it('refuses a --now that is no moment, naming the flag', async () => {
    const result = await runCli(['query', 'SELECT 1', '--now', 'yesterday'], { cwd: work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--now must be an ISO 8601 date/);
  });
});
