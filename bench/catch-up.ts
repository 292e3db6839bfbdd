/**
 * The scheduled catch-up after 13 days without runs: a lake whose last windows are 13 days old,
 * and one run of every built-in dataset that plans what the lake lacks and writes it, as
 * `peer5-reporter run` does (planScheduledRun, then the plan executed).
 *
 * 1. **Under a rate limit.** The simulator answers at most `LIMIT` requests a minute and the run
 *    paces to the whole budget, as the CLI's runs do (`wholeBudgetPaceOf`). Both are scaled in time
 *    by `TIME_SCALE`, so the bench takes seconds. The run's own work is not scaled: writing its
 *    1,116 windows takes about 0.6 s whatever the scale, which at 10× was a tenth of the scaled
 *    floor and printed 1.09-1.13, at 5× 1.01-1.02 and at 2× 0.97-0.98 (the pacer may start a
 *    window's budget at once). At 1× that work is a hundredth of the floor. Prints wall ÷
 *    (requests ÷ limit), where 1 is the limit's pace exactly and the goal is at most 1.1, and the
 *    simulator's 429s.
 * 2. **Into S3 (moto) ÷ into a local folder**, the same catch-up with no rate limit, so that the
 *    ratio is the writes' cost and not the pacer's: median of three runs each, in turns.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { ExportClient, RequestPacer } from '../lambdas/adapters/peer5-api/index.ts';
import { S3LakeSink } from '../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../lambdas/core/datasets.ts';
import { median } from '../lambdas/core/insights/watch.ts';
import { wholeBudgetPaceOf } from '../lambdas/core/lake/backfill-budget.ts';
import { runBackfill, runExport } from '../lambdas/core/lake/run.ts';
import type { LakeSink } from '../lambdas/core/lake/sink.ts';
import { type RunningSimulator, startSimulator } from '../simulator/index.ts';
import { startMoto } from '../test/support/moto.ts';
import { BENCH_TOKEN, PACING_SIMULATOR } from './settings.ts';

/** The API limit of the figure, requests per minute. */
const LIMIT = 30;
/**
 * Time runs this many times faster for the pacer and the simulator's limit alike: the paced run
 * takes 13 s, where the real one takes over a minute (see 1. above for what the scale does).
 */
const TIME_SCALE = 5;
const DAYS_WITHOUT_RUNS = 13;
const NOW = Date.UTC(2024, 4, 20, 0, 30);
const PREFIX = 'peer5';
const TRIALS = 3;

/** A lake holding the day before the runs stopped, as the runs left it. */
async function seededLake(sink: LakeSink, simulator: RunningSimulator): Promise<void> {
  const lastRun = NOW - DAYS_WITHOUT_RUNS * TIME.DAY;
  const dayEnd = Math.floor(lastRun / TIME.DAY) * TIME.DAY;
  const result = await runBackfill({
    sink,
    prefix: PREFIX,
    datasets: DEFAULT_DATASETS,
    now: NOW,
    from: dayEnd - TIME.DAY,
    to: dayEnd,
    source: client(simulator),
  });
  if (result.failed.length > 0) throw new Error('the lake could not be seeded');
}

function client(simulator: RunningSimulator, pacer?: RequestPacer): ExportClient {
  return new ExportClient({
    baseUrl: simulator.url,
    token: async () => BENCH_TOKEN,
    now: () => NOW,
    ...(pacer === undefined ? {} : { pacer }),
  });
}

/** One catch-up run over `sink`: its wall time and the API requests it sent. */
async function catchUp(
  sink: LakeSink,
  simulator: RunningSimulator,
  pacer?: RequestPacer,
): Promise<{ wallMs: number; requests: number; windows: number }> {
  const source = client(simulator, pacer);
  const started = performance.now();
  const result = await runExport({ sink, prefix: PREFIX, datasets: DEFAULT_DATASETS, now: NOW, source });
  const wallMs = performance.now() - started;
  if (result.failed.length > 0 || result.stopReason !== null) throw new Error('the catch-up did not finish');
  return { wallMs, requests: source.stats.requests, windows: result.windows.length };
}

/** CPU seconds a process has used (user + system), from /proc; null where there is no /proc. */
async function cpuSecondsOf(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    // Fields 14 and 15 of /proc/PID/stat, after the command name in parentheses; in clock ticks,
    // which are 1/100 s on Linux.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
}

async function localLake<T>(use: (sink: LakeSink) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'peer5-bench-catch-up-'));
  try {
    return await use(new LocalLakeSink({ root }));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchCatchUp(): Promise<string> {
  const simulator = await startSimulator({ ...PACING_SIMULATOR, now: NOW });
  const moto = await startMoto();
  try {
    // 1. Paced to the whole budget, against a simulator that enforces it.
    const limited = await localLake(async (sink) => {
      await seededLake(sink, simulator);
      simulator.setRateLimit({ requests: LIMIT, windowMs: TIME.MINUTE / TIME_SCALE });
      const before = simulator.stats.byStatus[429] ?? 0;
      const whole = wholeBudgetPaceOf({ apiRequestsPerMinute: LIMIT });
      const pacer = new RequestPacer({ requests: whole.requests, windowMs: whole.windowMs / TIME_SCALE });
      const run = await catchUp(sink, simulator, pacer);
      simulator.setRateLimit(null);
      return { ...run, rejected: (simulator.stats.byStatus[429] ?? 0) - before };
    });
    const floorMs = (limited.requests / LIMIT) * (TIME.MINUTE / TIME_SCALE);

    // 2. The same catch-up, unpaced, into a local folder and into S3 on moto, in turns.
    const s3 = new S3Client(moto.clientConfig);
    const localMs: number[] = [];
    const s3Ms: number[] = [];
    const motoCpuSeconds: number[] = [];
    let windows = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      localMs.push(
        await localLake(async (sink) => {
          await seededLake(sink, simulator);
          return (await catchUp(sink, simulator)).wallMs;
        }),
      );
      const bucket = `bench-catch-up-${trial}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const sink = new S3LakeSink({ s3, bucket });
      await seededLake(sink, simulator);
      const cpuBefore = await cpuSecondsOf(moto.pid);
      const run = await catchUp(sink, simulator);
      const cpuAfter = await cpuSecondsOf(moto.pid);
      if (cpuBefore !== null && cpuAfter !== null) motoCpuSeconds.push(cpuAfter - cpuBefore);
      windows = run.windows;
      s3Ms.push(run.wallMs);
    }
    s3.destroy();
    const local = median(localMs) ?? Number.NaN;
    const remote = median(s3Ms) ?? Number.NaN;
    return [
      '',
      `Catch-up after ${DAYS_WITHOUT_RUNS} days without runs, every built-in dataset, apiRequestsPerMinute ${LIMIT} (time scaled ${TIME_SCALE}×):`,
      `  ${limited.requests} API requests for ${limited.windows} windows in ${(limited.wallMs / 1000).toFixed(1)} s; ${limited.rejected} answered 429.`,
      `  wall time ÷ (requests ÷ limit): ${(limited.wallMs / floorMs).toFixed(2)} (goal ≤ 1.1)`,
      `The same catch-up with no limit, ${windows} windows, median of ${TRIALS} in turns:`,
      `  into S3 (moto) ${(remote / 1000).toFixed(2)} s ÷ into a local folder ${(local / 1000).toFixed(2)} s: ${(remote / local).toFixed(2)} (goal ≤ 1.5)`,
      // moto is a Python server on the same cores: the CPU it burns answering is not S3's latency.
      motoCpuSeconds.length === 0
        ? '  (moto CPU time not measured: no /proc)'
        : `  moto's own CPU time during each S3 run: median ${(median(motoCpuSeconds) ?? Number.NaN).toFixed(2)} s, on the same ${availableParallelism()} cores`,
    ].join('\n');
  } finally {
    await moto.stop();
    await simulator.close();
  }
}
