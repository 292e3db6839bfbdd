/**
 * What every handler shares: the deadline margin, read once from the environment, and the log
 * lines of a lake run, written once each by the lake core's events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { parseDatasets } from '../../lambdas/core/datasets.ts';
import { backfillBudgetOf } from '../../lambdas/core/lake/backfill-budget.ts';
import { type CurationResult, curateLake } from '../../lambdas/core/lake/curate.ts';
import { runExport } from '../../lambdas/core/lake/run.ts';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import {
  DEADLINE_MARGIN_VARIABLE,
  DEFAULT_DEADLINE_MARGIN_MS,
  RUN_KIND,
} from '../../lambdas/handlers/environment.ts';
import {
  backfillPacerOf,
  deadlineMarginOf,
  deadlineOf,
  logLakeEvent,
  RunFailedError,
  recordRun,
} from '../../lambdas/handlers/middleware.ts';

const RUNTIME_MODULE = '../../lambdas/handlers/middleware.ts';
const context = { getRemainingTimeInMillis: () => 600_000 };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  // The cold-start tests import the module afresh under a stubbed margin. The unit project shares
  // modules between files, so forget those copies: a later file must get one that read the real
  // environment.
  vi.resetModules();
});

describe('the deadline margin', () => {
  it('is the default when the variable is not set, else the whole number of milliseconds it holds', () => {
    expect(deadlineMarginOf({})).toBe(DEFAULT_DEADLINE_MARGIN_MS);
    expect(deadlineMarginOf({ [DEADLINE_MARGIN_VARIABLE]: '45000' })).toBe(45_000);
    expect(deadlineMarginOf({ [DEADLINE_MARGIN_VARIABLE]: '0' })).toBe(0);
    // Empty is unset, as for every variable the stack writes.
    expect(deadlineMarginOf({ [DEADLINE_MARGIN_VARIABLE]: '' })).toBe(DEFAULT_DEADLINE_MARGIN_MS);
  });

  it('is refused, naming the variable, when it is not a non-negative whole number', () => {
    for (const bad of ['soon', '-1', '1.5', '30s', ' 30000', '1e4', '99999999999999999999']) {
      expect(() => deadlineMarginOf({ [DEADLINE_MARGIN_VARIABLE]: bad }), JSON.stringify(bad)).toThrow(
        SettingsError,
      );
      expect(() => deadlineMarginOf({ [DEADLINE_MARGIN_VARIABLE]: bad })).toThrow(
        `Invalid environment variable "${DEADLINE_MARGIN_VARIABLE}": must be a non-negative whole number of milliseconds`,
      );
    }
  });

  it('fails the cold start when the variable is bad', async () => {
    vi.resetModules();
    vi.stubEnv(DEADLINE_MARGIN_VARIABLE, 'soon');
    await expect(import(RUNTIME_MODULE)).rejects.toThrow(
      `Invalid environment variable "${DEADLINE_MARGIN_VARIABLE}"`,
    );
  });

  it('is read once per cold start, and every deadline leaves it before the Lambda timeout', async () => {
    vi.resetModules();
    vi.stubEnv(DEADLINE_MARGIN_VARIABLE, '45000');
    const fresh = (await import(RUNTIME_MODULE)) as typeof import('../../lambdas/handlers/middleware.ts');
    vi.stubEnv(DEADLINE_MARGIN_VARIABLE, 'soon');
    expect(fresh.deadlineOf(context, 1_000_000)).toBe(1_000_000 + 600_000 - 45_000);
  });

  it('is the default in this process, where the variable is not set', () => {
    expect(deadlineOf(context, 1_000_000)).toBe(1_000_000 + 600_000 - DEFAULT_DEADLINE_MARGIN_MS);
  });
});

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

/** Collects the JSON log lines Powertools writes to stdout and stderr while `run` runs. */
async function logLinesOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const result = await run();
    return {
      result,
      lines: chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
    };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('the pacer of a backfill function', () => {
  it("keeps to one item's share of the budget, as the state machine's items do", () => {
    const environment = { PEER5_API_REQUESTS_PER_MINUTE: '30', PEER5_BACKFILL_CONCURRENCY: '4' };
    const pacer = backfillPacerOf(environment);
    expect(pacer.pace).toEqual(
      backfillBudgetOf({ apiRequestsPerMinute: 30, backfillConcurrency: 4 }).itemPace,
    );
    // 30 a minute, a fifth kept for the scheduled runs, the other 24 shared by 4: one every 10 s.
    expect(pacer.pace).toEqual({ requests: 1, windowMs: 10_000 });
  });

  it('refuses a concurrency the budget cannot feed, naming backfillConcurrency and its rule', () => {
    const environment = { PEER5_API_REQUESTS_PER_MINUTE: '5', PEER5_BACKFILL_CONCURRENCY: '4' };
    expect(() => backfillPacerOf(environment)).toThrow(SettingsError);
    expect(() => backfillPacerOf(environment)).toThrow(/backfillConcurrency.*must be at most 2/s);
  });

  it('names a missing budget setting by its variable', () => {
    expect(() => backfillPacerOf({ PEER5_BACKFILL_CONCURRENCY: '4' })).toThrow(
      /PEER5_API_REQUESTS_PER_MINUTE/,
    );
  });
});

describe('the log lines of a lake run', () => {
  it('name each gap and each failed window once, at error level, by their event field', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runtime-logs-'));
    try {
      const [hours] = parseDatasets([{ name: 'hours', interval: '1h', metrics: ['p2p'], cadence: 'hourly' }]);
      const down: ExportSource = {
        // biome-ignore lint/correctness/useYield: a source whose every request fails.
        async *rows() {
          throw new Error('the API is down');
        },
      };
      const since = Date.UTC(2024, 4, 1);
      const sink = new LocalLakeSink({ root });
      let curation: CurationResult | undefined;
      const { result, lines } = await logLinesOf(async () => {
        const run = await runExport({
          source: down,
          sink,
          prefix: 'lake',
          datasets: hours ? [hours] : [],
          // Three weeks later: the oldest hours have left the API's 14-day look-back.
          now: since + 21 * TIME.DAY,
          since,
          log: logLakeEvent,
        });
        curation = await curateLake({
          sink,
          prefix: 'lake',
          datasets: hours ? [hours] : [],
          log: logLakeEvent,
        });
        recordRun(run, curation, { requests: 0, retries: 0, rows: 0, bytes: 0 }, RUN_KIND.hourlyExport);
        return run;
      });
      expect(result.gaps.length).toBeGreaterThan(0);
      expect(result.failed.length).toBeGreaterThan(0);

      const withEvent = (event: string) => lines.filter((line) => line.event === event);
      expect(withEvent('gap')).toHaveLength(result.gaps.length);
      expect(withEvent('window-failed')).toHaveLength(result.failed.length);
      for (const line of [...withEvent('gap'), ...withEvent('window-failed')]) {
        expect(line.level, line.message).toBe('ERROR');
        expect(line.dataset).toBe('hours');
      }
      expect(withEvent('run-finished')).toHaveLength(1);
      expect(withEvent('curation-finished')).toHaveLength(1);
      // Recording the run adds metrics only (EMF blobs): every log line is one of the core's events.
      expect(lines.filter((line) => line.event === undefined && !('_aws' in line))).toEqual([]);
      const perKind = lines.filter((line) => '_aws' in line && line.run === RUN_KIND.hourlyExport);
      expect(perKind.map((line) => line.WindowsDeferred)).toEqual([result.deferred]);

      const error = new RunFailedError(
        recordRun(
          result,
          curation as CurationResult,
          { requests: 0, retries: 0, rows: 0, bytes: 0 },
          RUN_KIND.hourlyExport,
        ),
      );
      expect(error.message).toContain('See the log lines with event "window-failed".');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
