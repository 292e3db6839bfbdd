import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { collect, runCli, spawnCli } from './run-cli.ts';

const NOW = Date.parse('2026-11-20T06:30:00Z');

async function lakeObjects(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.csv.gz'))
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('peer5-reporter backfill', () => {
  let simulator: RunningSimulator;
  let work: string;

  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 200 });
    work = await mkdtemp(path.join(tmpdir(), 'peer5-backfill-'));
  });

  afterAll(async () => {
    await simulator.close();
    await rm(work, { recursive: true, force: true });
  });

  const realApi = () => ({ env: { PEER5_TOKEN: 'demo-token' } });

  it('plans a backfill, then fetches every window of the range once', async () => {
    const lake = path.join(work, 'full');
    const args = [
      '--from',
      '2026-11-17',
      '--to',
      '2026-11-19',
      '--datasets',
      'by_country_1h',
      '--lake',
      lake,
    ];
    const now = ['--now', new Date(NOW).toISOString()];
    const plan = await runCli(['plan', 'backfill', ...args, ...now, '--json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ windows: 48, requests: 1 });

    const result = await runCli(
      ['backfill', ...args, ...now, '--api-url', simulator.url, '--json'],
      realApi(),
    );
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { windows: { final: boolean }[]; requests: number };
    expect(output.windows).toHaveLength(48);
    expect(output.windows.every((window) => window.final)).toBe(true);
    expect(await lakeObjects(lake)).toHaveLength(48);
  });

  it('stops cleanly when interrupted and resumes where it stopped', async () => {
    const lake = path.join(work, 'resumed');
    const args = [
      'backfill',
      '--from',
      '2026-11-18',
      '--to',
      '2026-11-20',
      '--datasets',
      'totals_1m',
      '--lake',
      lake,
      '--api-url',
      simulator.url,
      '--now',
      new Date(NOW).toISOString(),
    ];
    // Slow answers keep the first run going long enough to interrupt it part-way.
    simulator.queueFaults(Array.from({ length: 8 }, () => ({ kind: 'delay' as const, ms: 1_500 })));
    const child = spawnCli(args, realApi());
    const finished = collect(child);
    await waitFor(async () => (await lakeObjects(lake)).length > 0, 30_000);
    child.kill('SIGINT');
    const first = await finished;
    expect(first.stderr).toContain('Interrupted (SIGINT): stopping. Windows already written stay');
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('Run the same command again to resume');
    const partial = await lakeObjects(lake);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(48);

    const second = await runCli([...args, '--json'], realApi());
    expect(second.code).toBe(0);
    const resumed = JSON.parse(second.stdout) as { windows: { dataset: string }[] };
    expect(resumed.windows).toHaveLength(48 - partial.length);
    const all = await lakeObjects(lake);
    expect(all).toHaveLength(48);
    expect(all).toEqual(expect.arrayContaining(partial));
  });
});
