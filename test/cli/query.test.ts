import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLocalLake } from '../../bin/cli/query.ts';
import { type DatasetDefinition, objectKey, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';

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
