/**
 * The fault matrix: every way the world can fail a run, against the API simulator and an S3 lake
 * on moto, through the real command line or the core. Each row is one fault; for each, the lake
 * ends with every window once and the simulator's final numbers, nothing lost and nothing doubled,
 * and the run exits with the documented code (0 ok, 1 failed or unfinished). A new fault is one
 * more line in FAULTS (see support/fault-matrix.ts for what every row checks).
 */
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exitCodeOf } from '../../bin/cli/output.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { expectLakeWindows, finalRows, freshS3Sink, RUN_DATASETS, slice } from '../lake/support/lake.ts';
import { makeExportAt } from '../support/export-at.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { FAST_RETRIES, startSimulatorClient } from '../support/simulator.ts';
import { type FaultRow, type Outcome, runRow, TOKEN, waitFor } from './support/fault-matrix.ts';

/** The second request drips a few bytes at a time for minutes: the run is busy, mid-window. */
const SECOND_REQUEST_STUCK = [
  { kind: 'delay', ms: 0 },
  { kind: 'drip', bytes: 16, everyMs: 300 },
] as const;
const times = <T>(count: number, fault: T): T[] => Array.from({ length: count }, () => fault);

const FAULTS: readonly FaultRow[] = [
  { fault: 'a 429 storm without Retry-After', via: 'core', faults: times(5, { status: 429 }), exit: 0 },
  {
    fault: 'a 429 storm with Retry-After: 1',
    via: 'core',
    faults: times(2, { status: 429, retryAfter: 1 }),
    exit: 0,
    check: (_, [run]) => {
      const waits = run?.clientEvents.flatMap((event) => (event.type === 'retry' ? [event.delayMs] : []));
      expect(waits).toHaveLength(2);
      for (const wait of waits ?? []) expect(wait).toBeGreaterThanOrEqual(1_000);
    },
  },
  {
    fault: 'a 429 storm that outlasts every retry of a window',
    via: 'core',
    faults: times(17, { status: 429 }),
    exit: 1,
    rerun: 0,
    check: (_, [run]) =>
      expect(run?.result?.failed.map((window) => window.error.name)).toEqual(['ExportRateLimitError']),
  },
  {
    fault: 'a Retry-After of 9999999999 s, beyond any timer and any deadline',
    via: 'cli',
    faults: [{ status: 429, retryAfter: '9999999999' }],
    exit: 1,
    rerun: 0,
    // Deferred at once: one request, no hammering.
    check: (_, [run]) => {
      expect(run?.requests).toBe(1);
      expect(run?.stdout).toContain('would wait 9999999999 s, past the deadline');
    },
  },
  { fault: '5xx answers', via: 'core', faults: [{ status: 500 }, { status: 502 }, { status: 503 }], exit: 0 },
  { fault: 'a 503 with Retry-After: 1', via: 'core', faults: [{ status: 503, retryAfter: 1 }], exit: 0 },
  { fault: 'connection resets', via: 'core', faults: times(2, { kind: 'reset' }), exit: 0 },
  {
    fault: 'a CSV body cut off after rows reached the lake writer',
    via: 'core',
    faults: [{ kind: 'truncate' }],
    client: { holdBackBytes: 0 },
    exit: 0,
    // The window is fetched again within the run.
    check: (_, [run]) => {
      expect(run?.result?.failed).toEqual([]);
      const retries = run?.lakeEvents.filter((event) => event.event === 'window-retry') ?? [];
      expect(retries).toHaveLength(1);
      expect(retries[0]?.error).toMatchObject({ name: 'ExportTruncatedError' });
      expect(run?.result?.queries).toBe(2);
    },
  },
  { fault: 'a CSV body cut off', via: 'cli', faults: [{ kind: 'truncate' }], exit: 0 },
  {
    fault: 'a JSON body cut off',
    via: 'core',
    faults: [{ kind: 'truncate' }],
    client: { format: 'json' },
    exit: 0,
  },
  {
    fault: 'a JSON body cut off after rows reached the lake writer',
    via: 'core',
    faults: [{ kind: 'truncate' }],
    client: { format: 'json', holdBackBytes: 0 },
    exit: 0,
  },
  { fault: 'error bodies with status 200', via: 'core', faults: times(2, { kind: 'error-body' }), exit: 0 },
  { fault: 'an HTML page with status 200', via: 'core', faults: [{ kind: 'html' }], exit: 0 },
  {
    fault: 'a body that drips past the deadline',
    via: 'cli',
    faults: SECOND_REQUEST_STUCK,
    flags: ['--deadline', '3s'],
    exit: 1,
    rerun: 0,
    check: (_, [run]) => expect(run?.stdout).toMatch(/"stopReason": ".*deadline/),
  },
  {
    fault: 'SIGKILL mid-upload, then a re-run',
    via: 'cli',
    faults: SECOND_REQUEST_STUCK,
    exit: null,
    rerun: 0,
    during: async (context) => {
      await context.untilWindowWritten();
      context.children[0]?.kill('SIGKILL');
    },
    // The window being written never became an object, nor a multipart upload left behind.
    check: async (context) => {
      const uploads = await context.s3.send(new ListMultipartUploadsCommand({ Bucket: context.bucket }));
      expect(uploads.Uploads ?? []).toEqual([]);
    },
  },
  {
    fault: 'Ctrl-C mid-run, then a re-run',
    via: 'cli',
    faults: SECOND_REQUEST_STUCK,
    exit: 1,
    rerun: 0,
    during: async (context) => {
      await context.untilWindowWritten();
      context.children[0]?.kill('SIGINT');
    },
  },
  { fault: 'two overlapping runs', via: 'cli', parallel: 2, exit: 0 },
  {
    fault: 'two overlapping scheduled runs, each writing provisional windows',
    via: 'core',
    exit: 0,
    scenario: overlappingScheduledRuns,
  },
  {
    fault: 'the token rotated mid-run',
    via: 'cli',
    secretToken: true,
    // The first request is held while the token is rotated, then checked: refused, once.
    faults: [{ kind: 'delay', ms: 1_500 }],
    exit: 0,
    during: async (context) => {
      await waitFor('the first request', () => context.sim.stats.requests > 0);
      await context.rotateToken('matrix-token-after-rotation');
    },
    check: (context, [run]) => {
      expect(context.sim.stats.byStatus[401]).toBe(1);
      expect(`${run?.stdout}${run?.stderr}`).not.toMatch(/matrix-token-(before|after)-rotation/);
    },
  },
];

// Rows run a few at a time, each with its own simulator and bucket (moto and the cores are shared).
vi.setConfig({ maxConcurrency: 3 });

describe('the fault matrix: nothing lost or doubled in the lake, and the documented exit code', () => {
  let moto: RunningMoto;
  const clients: S3Client[] = [];

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await moto?.stop();
  });

  for (const row of FAULTS) {
    const code = row.exit === null ? 'killed' : `exit ${row.exit}`;
    const rerun = row.rerun === undefined ? '' : `, re-run exit ${row.rerun}`;
    it.concurrent(`${row.fault} (${row.via}): ${code}${rerun}`, async () => {
      await runRow(row, moto, clients);
    });
  }
});

/**
 * Two scheduled runs at once, with young (provisional) windows whose markers can race, then two
 * more after everything has settled: the lake ends final and whole.
 */
async function overlappingScheduledRuns(moto: RunningMoto): Promise<readonly Outcome[]> {
  const { MINUTE, HOUR, DAY } = TIME;
  const [minutes, daily] = RUN_DATASETS;
  const T0 = Date.UTC(2024, 2, 1);
  const { sim, client, close } = await startSimulatorClient(
    { now: T0, segments: 12, seed: 7, tokens: [TOKEN] },
    FAST_RETRIES,
  );
  const { sink, s3 } = await freshS3Sink(moto);
  try {
    const exportAt = makeExportAt(sim, {
      source: client,
      sink,
      prefix: 'lake',
      datasets: RUN_DATASETS,
      since: T0,
      settleMs: 3 * HOUR,
    });
    const now = T0 + 30 * HOUR + 5 * MINUTE;
    const [first, second] = await Promise.all([exportAt(now), exportAt(now)]);
    expect(first.failed).toEqual([]);
    expect(second.failed).toEqual([]);
    let table = await expectLakeWindows(sink, 'lake', minutes, T0, T0 + 30 * HOUR);
    expect([...table.markers].sort((a, b) => a - b)).toEqual([27, 28, 29].map((h) => T0 + h * HOUR));

    const later = T0 + 34 * HOUR + 5 * MINUTE;
    const [third, fourth] = await Promise.all([exportAt(later), exportAt(later)]);
    table = await expectLakeWindows(sink, 'lake', minutes, T0, T0 + 34 * HOUR);
    expect(slice(table.rows, T0, T0 + 30 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 30 * HOUR));
    expect([...table.markers].sort((a, b) => a - b)).toEqual([31, 32, 33].map((h) => T0 + h * HOUR));
    const dailyTable = await expectLakeWindows(sink, 'lake', daily, T0, T0 + DAY);
    expect(dailyTable.rows).toEqual(finalRows(sim, daily, T0, T0 + DAY));
    expect(dailyTable.markers.size).toBe(0);
    return [first, second, third, fourth].map((result) => ({
      code: exitCodeOf(result),
      stdout: '',
      stderr: '',
      result,
      lakeEvents: [],
      clientEvents: [],
      requests: 0,
    }));
  } finally {
    s3.destroy();
    await close();
  }
}
