/**
 * The harness of the fault matrix: one backfill of seven settled hourly windows (two API
 * requests) into a fresh bucket on moto, against a fresh simulator with the row's faults queued,
 * run through the real command line (a process of its own) or through the core (the export client
 * and the lake run, with short backoff timings). After each run the lake is read back: every
 * window there is whole and holds the simulator's final rows, none twice; after the last run
 * every window is there.
 */
import type { ChildProcess } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { exitCodeOf } from '../../../bin/cli/output.ts';
import {
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
} from '../../../lambdas/adapters/peer5-api/index.ts';
import type { S3LakeSink } from '../../../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../../../lambdas/core/contract.ts';
import { type DatasetDefinition, DEFAULT_DATASETS } from '../../../lambdas/core/datasets.ts';
import { tablePrefix } from '../../../lambdas/core/lake/layout.ts';
import { runBackfill } from '../../../lambdas/core/lake/run.ts';
import type { LakeEvent, RunResult } from '../../../lambdas/core/lake/run-types.ts';
import { type RunningSimulator, type SimulatorFault, startSimulator } from '../../../simulator/index.ts';
import {
  expectLakeWindows,
  finalRows,
  freshS3Sink,
  listKeys,
  readTable,
  slice,
} from '../../lake/support/lake.ts';
import type { RunningMoto } from '../../support/moto.ts';
import { FAST_RETRIES } from '../../support/simulator.ts';
import { collect, spawnCli } from '../run-cli.ts';

export const NOW = Date.parse('2026-11-20T06:30:00Z');
export const FROM = Date.parse('2026-11-18T00:00:00Z');
/** Seven hourly windows: two API requests (a 1m request spans at most six hours). */
export const TO = FROM + 7 * TIME.HOUR;
const WINDOWS = (TO - FROM) / TIME.HOUR;
export const PREFIX = 'peer5';
export const DATASET = DEFAULT_DATASETS.find((dataset) => dataset.name === 'totals_1m') as DatasetDefinition;
export const TOKEN = 'matrix-token-before-rotation';

/** What one run gave: its exit code (null when killed), its output, and from the core its result. */
export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly result?: RunResult;
  readonly lakeEvents: readonly LakeEvent[];
  readonly clientEvents: readonly ExportClientEvent[];
  /** API requests the simulator saw during this run. */
  readonly requests: number;
}

/** Everything a row's hooks can reach while its runs go on. */
export interface RowContext {
  readonly sim: RunningSimulator;
  readonly moto: RunningMoto;
  readonly sink: S3LakeSink;
  readonly s3: S3Client;
  readonly bucket: string;
  /** The command-line processes of the run in progress (CLI rows). */
  readonly children: ChildProcess[];
  /** The Secrets Manager secret that holds the token (CLI rows that read it from there). */
  readonly secretName: string;
  /** Resolves once the run in progress has written a window; fails if it ends first. */
  untilWindowWritten(): Promise<void>;
  /** Replaces the token in the secret and in the simulator, as a rotation does. */
  rotateToken(next: string): Promise<void>;
}

export interface FaultRow {
  /** What goes wrong. */
  readonly fault: string;
  /** Through the real command line, or through the core (client and lake run). */
  readonly via: 'cli' | 'core';
  /** Queued on the simulator before the first run. */
  readonly faults?: readonly SimulatorFault[];
  /** The documented exit code of the run that meets the fault (null: the process is killed). */
  readonly exit: number | null;
  /** When set, the run is started again once, with no faults, and must exit with this code. */
  readonly rerun?: number;
  /** More command-line flags for the run that meets the fault (CLI rows); the re-run goes without. */
  readonly flags?: readonly string[];
  /** Client options (core rows), over short backoff timings. */
  readonly client?: Partial<ExportClientOptions>;
  /** Runs started at once; each must exit with `exit`. */
  readonly parallel?: number;
  /** The token comes from a Secrets Manager secret (CLI rows), as in a deployment. */
  readonly secretToken?: boolean;
  /** Happens while the first run goes on: a kill, a rotation. */
  readonly during?: (context: RowContext) => Promise<void>;
  /** Checks of this row on top of the lake's. */
  readonly check?: (context: RowContext, outcomes: readonly Outcome[]) => void | Promise<void>;
  /** A scenario of its own, with its own checks, in place of the backfill (moved older tests). */
  readonly scenario?: (moto: RunningMoto) => Promise<readonly Outcome[]>;
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

function cliArgs(
  sim: RunningSimulator,
  bucket: string,
  row: FaultRow,
  secretName: string,
  flags: readonly string[],
): string[] {
  return [
    'backfill',
    '--from',
    new Date(FROM).toISOString(),
    '--to',
    new Date(TO).toISOString(),
    '--datasets',
    DATASET.name,
    '--lake',
    `s3://${bucket}/${PREFIX}`,
    '--api-url',
    sim.url,
    '--now',
    new Date(NOW).toISOString(),
    '--max-requests-per-minute',
    '600',
    '--json',
    ...(row.secretToken ? ['--token-secret', secretName] : []),
    ...flags,
  ];
}

async function runCliOnce(context: RowContext, row: FaultRow, args: string[]): Promise<Outcome> {
  const env = {
    AWS_ENDPOINT_URL: context.moto.endpoint,
    AWS_REGION: context.moto.clientConfig.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    ...(row.secretToken ? {} : { PEER5_TOKEN: TOKEN }),
  };
  const child = spawnCli(args, { env });
  context.children.push(child);
  const before = context.sim.stats.requests;
  const { code, stdout, stderr } = await collect(child);
  return {
    code,
    stdout,
    stderr,
    lakeEvents: [],
    clientEvents: [],
    requests: context.sim.stats.requests - before,
  };
}

async function runCoreOnce(context: RowContext, row: FaultRow): Promise<Outcome> {
  const lakeEvents: LakeEvent[] = [];
  const clientEvents: ExportClientEvent[] = [];
  const client = new ExportClient({
    baseUrl: context.sim.url,
    token: async () => TOKEN,
    now: () => context.sim.now(),
    ...FAST_RETRIES,
    onEvent: (event) => clientEvents.push(event),
    ...row.client,
  });
  const before = context.sim.stats.requests;
  const result = await runBackfill({
    source: client,
    sink: context.sink,
    prefix: PREFIX,
    datasets: [DATASET],
    now: NOW,
    from: FROM,
    to: TO,
    log: (event) => lakeEvents.push(event),
  });
  return {
    code: exitCodeOf(result),
    stdout: '',
    stderr: '',
    result,
    lakeEvents,
    clientEvents,
    requests: context.sim.stats.requests - before,
  };
}

/** Whatever is in the lake is whole and final, once each; returns the window starts there. */
async function expectOnlyWholeWindows(context: RowContext): Promise<number[]> {
  const table = await readTable(context.sink, PREFIX, DATASET);
  expect(table.strays).toEqual([]);
  expect(table.markers.size).toBe(0);
  const starts = [...table.windows.keys()].sort((a, b) => a - b);
  const expected = new Map<string, number[]>();
  for (const start of starts) {
    for (const [key, values] of finalRows(context.sim, DATASET, start, start + TIME.HOUR))
      expected.set(key, values);
  }
  expect(table.rows).toEqual(expected);
  return starts;
}

/** The windows a command line run reports as written (its --json output). */
function reportedWindows(outcome: Outcome): number[] | undefined {
  if (outcome.result) return outcome.result.windows.map((window) => window.start);
  if (outcome.code === null || outcome.stdout.trim() === '') return undefined;
  const output = JSON.parse(outcome.stdout) as { windows: { start: string }[] };
  return output.windows.map((window) => Date.parse(window.start));
}

/** Runs one row of the matrix and checks the lake after each run. */
export async function runRow(row: FaultRow, moto: RunningMoto, clients: S3Client[]): Promise<void> {
  if (row.scenario) {
    const outcomes = await row.scenario(moto);
    for (const outcome of outcomes) expect(outcome.code).toBe(row.exit);
    return;
  }
  const sim = await startSimulator({ now: NOW, segments: 40, tokens: [TOKEN] });
  const { sink, s3, bucket } = await freshS3Sink(moto);
  clients.push(s3);
  const secrets = new SecretsManagerClient(moto.clientConfig);
  const secretName = `matrix/${bucket}`;
  const context: RowContext = {
    sim,
    moto,
    sink,
    s3,
    bucket,
    children: [],
    secretName,
    untilWindowWritten: () =>
      waitFor('a window in the lake', async () => {
        const running = context.children.some(
          (child) => child.exitCode === null && child.signalCode === null,
        );
        if (context.children.length > 0 && !running) throw new Error('the run ended before writing a window');
        return (await listKeys(sink, tablePrefix(PREFIX, DATASET))).length > 0;
      }),
    rotateToken: async (next) => {
      await secrets.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: next }));
      sim.setTokens([next]);
    },
  };
  try {
    if (row.secretToken) {
      await secrets.send(
        new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify({ token: TOKEN }) }),
      );
    }
    sim.queueFaults([...(row.faults ?? [])]);
    const once = (flags: readonly string[] = []) =>
      row.via === 'cli'
        ? runCliOnce(context, row, cliArgs(sim, bucket, row, secretName, flags))
        : runCoreOnce(context, row);
    const [outcomes] = await Promise.all([
      Promise.all(Array.from({ length: row.parallel ?? 1 }, () => once(row.flags))),
      row.during?.(context),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.code, `${row.fault}: ${outcome.stderr}${outcome.stdout}`).toBe(row.exit);
    }

    // Nothing half-written, nothing twice, nothing but final numbers, whatever the fault did.
    const kept = await expectOnlyWholeWindows(context);
    const reported = outcomes.length === 1 && outcomes[0] ? reportedWindows(outcomes[0]) : undefined;
    if (reported !== undefined) expect(kept).toEqual([...reported].sort((a, b) => a - b));

    const all: Outcome[] = [...outcomes];
    if (row.rerun !== undefined) {
      expect(kept.length, 'the first run left work for the next').toBeLessThan(WINDOWS);
      await fetch(new URL('/_sim/faults', sim.url), { method: 'DELETE' });
      context.children.length = 0;
      const again = await once();
      expect(again.code, `${row.fault}, the re-run: ${again.stderr}${again.stdout}`).toBe(row.rerun);
      // The re-run fetches what was missing and leaves what was there.
      const written = reportedWindows(again) ?? [];
      expect(new Set([...written, ...kept]).size).toBe(WINDOWS);
      expect(written.filter((start) => kept.includes(start))).toEqual([]);
      all.push(again);
    }
    const table = await expectLakeWindows(sink, PREFIX, DATASET, FROM, TO);
    expect(slice(table.rows, FROM, TO)).toEqual(finalRows(sim, DATASET, FROM, TO));
    expect(table.markers.size).toBe(0);
    await row.check?.(context, all);
  } finally {
    for (const child of context.children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    secrets.destroy();
    await sim.close();
  }
}
