/**
 * The Athena SQL we publish (the README's examples and the stack's saved queries) runs on the local
 * query engine over a lake written by the real lake writer. The README's queries filter on dates
 * relative to `current_date`, so the lake holds yesterday and today's finished hours (UTC), with
 * yesterday curated, and each fixed date in a query is also tried as yesterday, which must return rows.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryResult, queryLocalLake } from '../../bin/cli/query.ts';
import { README_PATH } from '../../bin/cli/readme-sections.ts';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { ExportClient } from '../../lambdas/adapters/peer5-api/client.ts';
import { settingsSchema } from '../../lambdas/core/config.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { curateLake } from '../../lambdas/core/lake/curate.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import { savedQueries } from '../../lib/athena-queries.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';

const DATABASE = settingsSchema.shape.databaseName.parse(undefined);
const NOW = Date.now();
const TODAY = Math.floor(NOW / TIME.DAY) * TIME.DAY;
const YESTERDAY = TODAY - TIME.DAY;
const LAKE_DAY = new Date(YESTERDAY).toISOString().slice(0, 10);

/** Every ```sql block of a Markdown text, with a list item's indentation taken off. */
function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^([ \t]*)```sql\n([\s\S]*?)^\1```/gm)].map(([, indent = '', body = '']) =>
    body
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n'),
  );
}

function isCode(line: string): boolean {
  const trimmed = line.trim();
  return trimmed !== '' && !trimmed.startsWith('--');
}

/** The statements of a block (none of our examples has a `;` inside a string), comments kept. */
function statementsOf(block: string): string[] {
  return block
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.split('\n').some(isCode));
}

function titleOf(statement: string): string {
  const lines = statement.split('\n');
  const comment = lines.find((line) => line.trim().startsWith('--'));
  return comment ? comment.replace(/^\s*--\s*/, '') : (lines.find(isCode) ?? '').trim();
}

const README_STATEMENTS = sqlBlocks(readFileSync(README_PATH, 'utf8')).flatMap(statementsOf);

/** The same query on the day the test lake holds, for queries written with a fixed date. */
function onLakeDay(sql: string): string {
  return sql.replaceAll(/'\d{4}-\d{2}-\d{2}'/g, `'${LAKE_DAY}'`);
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The query with each day relative to current_date (`date_format(current_date - interval 'N' day,
 * '%Y-%m-%d')`) written out as the day it stands for at NOW, worked out here rather than by SQL.
 */
function withDaysWrittenOut(sql: string): string {
  return sql.replaceAll(
    /date_format\(current_date - interval '(\d+)' day, '%Y-%m-%d'\)/gi,
    (_match, days: string) => `'${utcDay(NOW - Number(days) * TIME.DAY)}'`,
  );
}

function inAnyOrder(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}

/** Rows a user can print: JSON-safe, and every percentage a number from 0 to 100 (or no traffic). */
function expectPrintable(result: QueryResult): void {
  expect(() => JSON.stringify(result.rows)).not.toThrow();
  for (const row of result.rows) {
    for (const [column, value] of Object.entries(row)) {
      if (!column.endsWith('_pct') || value === null) continue;
      expect(value, column).toBeTypeOf('number');
      expect(value as number, column).toBeGreaterThanOrEqual(0);
      expect(value as number, column).toBeLessThanOrEqual(100);
    }
  }
}

describe('the Athena SQL we publish, on the local query engine', () => {
  let simulator: RunningSimulator;
  let lakeRoot: string;

  const query = (sql: string) =>
    queryLocalLake({ sql, lakeRoot, prefix: '', database: DATABASE, datasets: DEFAULT_DATASETS, now: NOW });

  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 30, seed: 11 });
    lakeRoot = await mkdtemp(path.join(tmpdir(), 'peer5-athena-sql-'));
    const sink = new LocalLakeSink({ root: lakeRoot });
    const result = await runBackfill({
      source: new ExportClient({ baseUrl: simulator.url, token: async () => 'demo-token', now: () => NOW }),
      sink,
      prefix: '',
      datasets: DEFAULT_DATASETS,
      now: NOW,
      from: YESTERDAY,
      to: NOW,
      // Settled at once, so that yesterday is final whatever the time of day, and curated.
      settleMs: 1,
    });
    expect(result.failed).toEqual([]);
    expect(result.gaps).toEqual([]);
    const curation = await curateLake({ sink, prefix: '', datasets: DEFAULT_DATASETS });
    expect(curation.written.map((day) => day.day)).toEqual(DEFAULT_DATASETS.map(() => LAKE_DAY));
  }, 120_000);

  afterAll(async () => {
    await simulator?.close();
    if (lakeRoot) await rm(lakeRoot, { recursive: true, force: true });
  });

  it('finds the README examples', () => {
    expect(README_STATEMENTS.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(README_STATEMENTS.map((sql) => [titleOf(sql), sql] as const))(
    'the README query %s',
    (_title, sql) => {
      it('filters on dt, as the README tells readers to', () => {
        expect(sql).toMatch(/\bWHERE\b[\s\S]*\bdt\b/i);
      });

      it('runs as written and answers for the days its dates stand for', async () => {
        const written = withDaysWrittenOut(sql);
        expect(written).not.toMatch(/current_date/i);
        const asWritten = await query(sql);
        // Every README query covers yesterday, which the lake holds.
        expect(asWritten.rows.length).toBeGreaterThan(0);
        const expected = await query(written);
        expect(asWritten.columns).toEqual(expected.columns);
        // A query without ORDER BY may return its rows in any order.
        expect(inAnyOrder(asWritten.rows)).toEqual(inAnyOrder(expected.rows));
        expectPrintable(asWritten);
      });

      it('returns rows from the day the lake holds', async () => {
        const result = await query(onLakeDay(sql));
        expect(result.rows.length).toBeGreaterThan(0);
        expectPrintable(result);
      });
    },
  );

  const saved = savedQueries(DATABASE, DEFAULT_DATASETS);

  it('has saved queries for the default datasets', () => {
    expect(saved.map((entry) => entry.id)).toEqual(['DailyOffloadByCountry', 'HourlyOffloadTrend']);
  });

  it.each(saved.map((entry) => [entry.name, entry.sql] as const))(
    'runs the saved query %s and it returns rows',
    async (_name, sql) => {
      const result = await query(sql);
      expect(result.rows.length).toBeGreaterThan(0);
      expect(result.columns).toEqual(
        expect.arrayContaining(['dt', 'p2p_bytes', 'http_bytes', 'offload_pct']),
      );
      expectPrintable(result);
    },
  );
});
