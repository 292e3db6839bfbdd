/**
 * Ctrl-C, SIGTERM and the deadline on the real command, in a process of its own, both as the bin
 * and through `npx peer5-reporter`: the exit code is the documented one either way.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type CliResult, collect, interruptGroup, REPO_ROOT, runCli, spawnCli } from './run-cli.ts';

const NOW = '2026-11-20T06:30:00Z';
const REAL_API = { PEER5_TOKEN: 'demo-token' };

async function lakeObjects(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.csv.gz'))
    .map((entry) => entry.name);
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** A server that accepts connections and never answers: an S3 endpoint that hangs. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts a command and collects its output, with its stderr readable while it runs. */
function started(args: readonly string[], options: Parameters<typeof spawnCli>[1]) {
  const child = spawnCli(args, options);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result: Promise<CliResult & { signal: NodeJS.Signals | null; endedAt: number }> = collect(child).then(
    (collected) => ({ ...collected, signal: child.signalCode, endedAt: Date.now() }),
  );
  return { child, result, stderr: () => stderr };
}

describe('stopping the command line', () => {
  let simulator: RunningSimulator;
  let stuckS3: { url: string; close(): Promise<void> };
  let work: string;

  beforeAll(async () => {
    simulator = await startSimulator({ now: Date.parse(NOW), segments: 50 });
    stuckS3 = await silentServer();
    work = await mkdtemp(path.join(tmpdir(), 'peer5-signals-'));
  });

  afterAll(async () => {
    await Promise.all([simulator.close(), stuckS3.close(), rm(work, { recursive: true, force: true })]);
  });

  afterEach(async () => {
    await fetch(new URL('/_sim/faults', simulator.url), { method: 'DELETE' });
  });

  /** Twelve hourly windows in two requests; the second request's body drips for minutes. */
  function backfillWithStuckSecondRequest(lake: string): string[] {
    simulator.queueFaults([
      { kind: 'delay', ms: 0 },
      { kind: 'drip', bytes: 16, everyMs: 300 },
    ]);
    return [
      'backfill',
      '--from',
      '2026-11-18',
      '--to',
      '2026-11-18T12:00:00Z',
      '--datasets',
      'totals_1m',
      '--lake',
      lake,
      '--api-url',
      simulator.url,
      '--now',
      NOW,
      '--max-requests-per-minute',
      '600',
    ];
  }

  for (const viaNpx of [false, true]) {
    const how = viaNpx ? 'npx peer5-reporter' : 'the bin';
    it(`ends the run on one Ctrl-C to the terminal's process group, keeping what is written, exit 1 (${how})`, async () => {
      const lake = path.join(work, viaNpx ? 'npx' : 'bin');
      const run = started(backfillWithStuckSecondRequest(lake), { env: REAL_API, ownGroup: true, viaNpx });
      await waitFor('a window in the lake', async () => (await lakeObjects(lake)).length > 0);
      const interruptedAt = Date.now();
      interruptGroup(run.child, 'SIGINT');
      const result = await run.result;
      expect(result.signal).toBeNull();
      expect(result.code).toBe(1);
      // The dripping request is cancelled, not waited for.
      expect(result.endedAt - interruptedAt).toBeLessThan(5_000);
      expect(result.stderr).toContain('Interrupted (SIGINT): stopping. Windows already written stay');
      expect(result.stderr).not.toContain('Stopped at once');
      expect(result.stdout).toMatch(/Deferred \d+ windows to the next run: stopped on request/);
      const kept = await lakeObjects(lake);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(12);
    });
  }

  it('ends `npm start` on one Ctrl-C with exit 1, like the command itself', async () => {
    const lake = path.join(work, 'npm-start');
    const child = spawn(
      'npm',
      ['start', '--', '--lake', lake, '--outbox', path.join(work, 'npm-start-outbox')],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const result = collect(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor('the export to start', () => stderr.includes('Exporting '));
    interruptGroup(child, 'SIGINT');
    const { code } = await result;
    expect(child.signalCode).toBeNull();
    expect(code).toBe(1);
    expect(stderr).toContain('Interrupted (SIGINT): stopping.');
    expect(stderr).toContain('The report was not written: the export stopped early.');
  });

  it('passes a SIGTERM sent to npx alone (as a supervisor sends it) on to the command, exit 1', async () => {
    const lake = path.join(work, 'npx-sigterm');
    const run = started(backfillWithStuckSecondRequest(lake), { env: REAL_API, viaNpx: true });
    await waitFor('a window in the lake', async () => (await lakeObjects(lake)).length > 0);
    run.child.kill('SIGTERM');
    const result = await run.result;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Interrupted (SIGTERM): stopping.');
  });

  const stuckLakeRun = (deadline: string) => [
    'run',
    'daily',
    '--lake',
    's3://stuck-bucket/peer5',
    '--api-url',
    simulator.url,
    '--now',
    NOW,
    '--deadline',
    deadline,
  ];
  const stuckEnv = () => ({
    ...REAL_API,
    AWS_ENDPOINT_URL: stuckS3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  });

  it('exits at once on a second Ctrl-C while the run is stuck where the first cannot reach', async () => {
    const run = started(stuckLakeRun('1m'), { env: stuckEnv(), ownGroup: true });
    await waitFor('the run to start', () => run.stderr().includes('Using '));
    interruptGroup(run.child, 'SIGINT');
    await waitFor('the first Ctrl-C to be seen', () => run.stderr().includes('Interrupted (SIGINT)'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(run.child.exitCode).toBeNull();
    const secondAt = Date.now();
    interruptGroup(run.child, 'SIGINT');
    const result = await run.result;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.endedAt - secondAt).toBeLessThan(2_000);
    expect(result.stderr).toContain('Stopped at once (SIGINT)');
  });

  it('exits 1 shortly after its deadline even when S3 never answers', async () => {
    const run = started(stuckLakeRun('1s'), { env: stuckEnv() });
    const result = await run.result;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/The run did not stop within 1s of its deadline; exiting now/);
  });
});

describe('what the command line says while it waits', () => {
  let simulator: RunningSimulator;
  let work: string;

  beforeAll(async () => {
    simulator = await startSimulator({ now: Date.parse(NOW), segments: 50 });
    work = await mkdtemp(path.join(tmpdir(), 'peer5-waits-'));
  });

  afterAll(async () => {
    await Promise.all([simulator.close(), rm(work, { recursive: true, force: true })]);
  });

  const backfill = (lake: string, ...flags: string[]) => [
    'backfill',
    '--from',
    '2026-11-18',
    '--to',
    '2026-11-18T06:00:00Z',
    '--datasets',
    'totals_1m',
    '--lake',
    path.join(work, lake),
    '--api-url',
    simulator.url,
    '--now',
    NOW,
    ...flags,
  ];

  it('prints one line on stderr per wait before a retry, and keeps it out of the JSON on stdout', async () => {
    simulator.queueFaults([{ status: 429, retryAfter: 1 }]);
    const result = await runCli(backfill('waits', '--json'), { env: REAL_API });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { windows: unknown[] }).windows).toHaveLength(6);
    const waits = result.stderr.split('\n').filter((line) => line.includes('waiting'));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(/rate limited \(429\).*; waiting 1\.\ds before attempt 2$/);
  });

  it('prints nothing on stderr with --quiet, not even its waits', async () => {
    simulator.queueFaults([{ status: 503 }]);
    const result = await runCli(backfill('quiet', '--quiet'), { env: REAL_API });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Wrote 6 windows/);
  });

  it('drops only the progress line with --no-progress', async () => {
    const shown = await runCli(backfill('progress'), { env: REAL_API });
    expect(shown.stderr).toMatch(/\] 6\/6 windows, 1\/1 requests, 360 rows, ETA 0s/);
    const hidden = await runCli(backfill('no-progress', '--no-progress'), { env: REAL_API });
    expect(hidden.code).toBe(0);
    expect(hidden.stderr).toContain('Using ');
    expect(hidden.stderr).not.toContain(' windows, ');
  });

  it('refuses a bad --deadline with exit 2, naming the flag and the rule, before doing anything', async () => {
    const before = simulator.stats.requests;
    const result = await runCli(backfill('bad-deadline', '--deadline', '10 minutes'), { env: REAL_API });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--deadline must be a whole number with a unit, ms, s, m or h/);
    expect(simulator.stats.requests).toBe(before);
    expect(existsSync(path.join(work, 'bad-deadline'))).toBe(false);
  });
});
