import { type ChildProcess, spawn } from 'node:child_process';
import { type FileHandle, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  hostTag,
  isStaleTemp,
  LocalLakeSink,
  parseTempName,
  STAGING_FOLDER,
  STALE_TEMP_AGE_MS,
  type StalenessCheck,
  tempName,
} from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets } from '../../lambdas/core/datasets.ts';
import { executePlan } from '../../lambdas/core/lake/execute.ts';
import { EMPTY_DATASET_STATE, planRun } from '../../lambdas/core/lake/plan.ts';
import { LakeKeyError } from '../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';

let root: string;
let sink: LocalLakeSink;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-sink-'));
  sink = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listAll(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(prefix, options)) keys.push(key);
  return keys;
}

describe('LocalLakeSink', () => {
  it('stores, reads, describes and deletes an object', async () => {
    const info = await sink.put(
      'p/t/dt=2024-01-01/a.csv.gz',
      Readable.from([Buffer.from('hello '), Buffer.from('lake')]),
    );
    expect(info.size).toBe(10);
    expect(await readFile(join(root, 'p/t/dt=2024-01-01/a.csv.gz'), 'utf8')).toBe('hello lake');
    const body = await sink.get('p/t/dt=2024-01-01/a.csv.gz');
    expect(body && (await text(body))).toBe('hello lake');
    expect(await sink.head('p/t/dt=2024-01-01/a.csv.gz')).toEqual(info);
    await sink.delete('p/t/dt=2024-01-01/a.csv.gz');
    expect(await sink.get('p/t/dt=2024-01-01/a.csv.gz')).toBeNull();
    expect(await sink.head('p/t/dt=2024-01-01/a.csv.gz')).toBeNull();
    await sink.delete('p/t/dt=2024-01-01/a.csv.gz');
  });

  it('gives a replaced object a new version', async () => {
    const first = await sink.put('k/a', new Uint8Array([1, 2, 3]));
    const second = await sink.put('k/a', new Uint8Array([1, 2, 3]));
    expect(second.version).not.toBe(first.version);
    expect((await sink.head('k/a'))?.version).toBe(second.version);
  });

  it('lists keys in S3 order, from a prefix, after a key and up to a limit', async () => {
    const keys = [
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t-other/a',
      'lake/t.b',
      'lake/u/z',
    ];
    for (const key of keys) await sink.put(key, new Uint8Array(0));
    expect(await listAll('lake/')).toEqual([...keys].sort());
    expect(await listAll('lake/t/')).toEqual([
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t', {})).toEqual([
      'lake/t-other/a',
      'lake/t.b',
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t/', { startAfter: 'lake/t/dt=2024-01-01/hour=01/x.csv.gz' })).toEqual([
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t/', { startAfter: 'lake/t/dt=2024-01-02' })).toEqual([
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/', { limit: 2 })).toHaveLength(2);
    expect(await listAll('nothing/')).toEqual([]);
  });

  it('never lists hidden temp files', async () => {
    await sink.put('t/a', new Uint8Array(0));
    await writeFile(join(root, 't', '.a.123.tmp'), 'partial');
    await writeFile(join(root, STAGING_FOLDER, tempName('b', writerHere())), 'partial');
    expect(await listAll('t/')).toEqual(['t/a']);
    expect(await listAll('')).toEqual(['t/a']);
  });

  it('shows the old object until a new one is complete, then swaps it whole', async () => {
    await sink.put('t/a', Buffer.from('old'));
    const body = new PassThrough();
    const writing = sink.put('t/a', body);
    body.write('new, partly ');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');
    expect(await tempFiles(root)).toHaveLength(1);
    body.end('written');
    await writing;
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('new, partly written');
    expect(await readdir(join(root, 't'))).toEqual(['a']);
    expect(await tempFiles(root)).toEqual([]);
  });

  it('leaves the old object and no temp file when the body fails', async () => {
    await sink.put('t/a', Buffer.from('old'));
    const body = new PassThrough();
    const writing = sink.put('t/a', body);
    body.write('half of it');
    setTimeout(() => body.destroy(new Error('source broke')), 20);
    await expect(writing).rejects.toThrow('source broke');
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');
    expect(await readdir(join(root, 't'))).toEqual(['a']);
    expect(await tempFiles(root)).toEqual([]);
  });

  it('refuses keys that would leave the lake folder', async () => {
    await expect(sink.put('../escape', new Uint8Array(0))).rejects.toThrow(LakeKeyError);
    await expect(sink.get('/abs')).rejects.toThrow(/relative path/);
    await expect(sink.head('a//b')).rejects.toThrow(/empty, "\." or "\.\." segments/);
  });
});

/** Every temp file anywhere under the lake's root, hidden folders included. */
async function tempFiles(folder: string): Promise<string[]> {
  const names = await readdir(folder, { recursive: true });
  return names.filter((name) => name.endsWith('.tmp')).sort();
}

function writerHere(startedAt = Date.now()) {
  return { host: hostTag(), pid: process.pid, startedAt };
}

const WRITER = fileURLToPath(new URL('../lake/support/staged-writer.ts', import.meta.url));

/** Starts a real process that writes `key` and stops halfway until its stdin is closed. */
async function startWriter(
  lakeRoot: string,
  key: string,
): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, lakeRoot, key], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the writer exited early with code ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().trim().split('\n'));
      if (output.includes('writing')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { child, output };
}

async function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return { code: child.exitCode, signal: child.signalCode };
  }
  return await new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('leftovers of runs killed mid-write', () => {
  it('are cleared by the next write after the writer was SIGKILLed', async () => {
    await sink.put('t/a', Buffer.from('old'));
    const { child } = await startWriter(root, 't/a');
    child.kill('SIGKILL');
    expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
    const [leftover] = await tempFiles(root);
    expect(leftover).toBeDefined();
    expect(await readFile(join(root, leftover as string), 'utf8')).toBe('first part, ');
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');

    const nextRun = new LocalLakeSink({ root });
    await nextRun.put('t/b', Buffer.from('next run'));
    expect(await tempFiles(root)).toEqual([]);
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');
    expect(await readFile(join(root, 't/b'), 'utf8')).toBe('next run');
  });

  it('keep the temp file of a live concurrent writer, whose object then completes', async () => {
    const { child, output } = await startWriter(root, 't/a');
    try {
      const [theirs] = await tempFiles(root);
      expect(theirs).toBeDefined();
      const otherRun = new LocalLakeSink({ root });
      await otherRun.put('t/b', Buffer.from('other run'));
      expect(await otherRun.clearStaleTemps()).toEqual([]);
      expect(await tempFiles(root)).toEqual([theirs]);
      child.stdin?.end();
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(output).toContain('done');
      expect(await readFile(join(root, 't/a'), 'utf8')).toBe('first part, second part');
      expect(await readFile(join(root, 't/b'), 'utf8')).toBe('other run');
      expect(await tempFiles(root)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keep the temp files of writes in progress in the same process', async () => {
    const body = new PassThrough();
    const writing = sink.put('t/a', body);
    body.write('partly');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await new LocalLakeSink({ root }).clearStaleTemps()).toEqual([]);
    body.end(' written');
    await writing;
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('partly written');
  });

  it('clears files older than any run could be, whoever wrote them, and leaves other folders alone', async () => {
    const staging = join(root, STAGING_FOLDER);
    await mkdir(join(staging, 'a-folder'), { recursive: true });
    const now = Date.now();
    const ancient = tempName('a', writerHere(now - STALE_TEMP_AGE_MS - TIME.MINUTE));
    const young = tempName('b', writerHere(now));
    await writeFile(join(staging, ancient), 'x');
    await writeFile(join(staging, young), 'x');
    expect(await sink.clearStaleTemps(now)).toEqual([ancient]);
    expect((await readdir(staging)).sort()).toEqual(['a-folder', young].sort());
  });
});

describe('isStaleTemp', () => {
  const now = Date.UTC(2026, 10, 26, 6);
  const dead = 4_000_000;
  const alive = 4_000_001;
  const check: StalenessCheck = { now, host: 'here', isAlive: (pid) => pid === alive };
  const named = (host: string, pid: number, startedAt: number) =>
    tempName('x.csv.gz', { host, pid, startedAt });

  it('reads the writer back from the name, whatever the final name holds', () => {
    const name = tempName('by_page_1d_2026-11-25.csv.gz', {
      host: hostTag('ci.example.com'),
      pid: 42,
      startedAt: now,
    });
    expect(parseTempName(name)).toEqual({ host: 'ci-example-com', pid: 42, startedAt: now });
    expect(parseTempName('.a.123.tmp')).toBeUndefined();
  });

  it.each([
    ['a dead writer on this host', named('here', dead, now - TIME.MINUTE), true],
    ['a live writer on this host', named('here', alive, now - TIME.MINUTE), false],
    [
      'a live pid on this host older than any run could be',
      named('here', alive, now - STALE_TEMP_AGE_MS - 1),
      true,
    ],
    ['another host, whose pids mean nothing here', named('there', dead, now - TIME.HOUR), false],
    ['another host, older than any run could be', named('there', alive, now - STALE_TEMP_AGE_MS - 1), true],
    ["a start in the future (another host's clock)", named('there', dead, now + TIME.HOUR), false],
  ])('judges %s', (_, name, stale) => {
    expect(isStaleTemp(name, now, check)).toBe(stale);
  });

  it('judges a name it did not write by its modification time', () => {
    expect(isStaleTemp('notes.txt', now - TIME.MINUTE, check)).toBe(false);
    expect(isStaleTemp('notes.txt', now - STALE_TEMP_AGE_MS - 1, check)).toBe(true);
  });
});

describe('fsync', () => {
  /** Every FileHandle.sync of this process while `work` runs, as what was synced: a folder, or a file of n bytes. */
  async function syncsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const probe = await open(root, 'r');
    const prototype = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const original = prototype.sync;
    const synced: string[] = [];
    const spy = vi.spyOn(prototype, 'sync').mockImplementation(async function (this: FileHandle) {
      const stats = await this.stat();
      synced.push(stats.isDirectory() ? 'folder' : `file of ${stats.size} bytes`);
      return await original.call(this);
    });
    try {
      await work();
    } finally {
      spy.mockRestore();
    }
    return synced;
  }

  it('syncs a body with bytes and its folder, and nothing for a zero-byte body', async () => {
    expect(await syncsDuring(() => sink.put('t/marker', new Uint8Array(0)))).toEqual([]);
    expect(await syncsDuring(() => sink.put('t/a', Buffer.from('abc')))).toEqual([
      'file of 3 bytes',
      'folder',
    ]);
    expect(await syncsDuring(() => sink.put('t/b', Readable.from(['abcd'])))).toEqual([
      'file of 4 bytes',
      'folder',
    ]);
  });

  it("costs a run one sync of each window's data and one of its folder, markers and day marks included", async () => {
    const [hours] = parseDatasets([
      { name: 'hours', interval: '1h', metrics: ['http'], cadence: 'hourly' },
    ]) as [DatasetDefinition];
    const since = Date.UTC(2024, 6, 1, 20);
    // Six hours across midnight, all still young: each is marked, written and marked again.
    const now = since + 6 * TIME.HOUR + 5 * TIME.MINUTE;
    const lake = { prefix: 'lake', datasets: new Map([['hours', EMPTY_DATASET_STATE]]) };
    const plan = planRun({ datasets: [hours], now, lake, since, settleMs: 12 * TIME.HOUR });
    const quiet: ExportSource = {
      async *rows() {
        // No traffic: each window is its header.
      },
    };
    const puts: string[] = [];
    const counting = Object.assign(Object.create(sink) as LocalLakeSink, {
      put: (...args: Parameters<LocalLakeSink['put']>) => {
        puts.push(args[0]);
        return sink.put(...args);
      },
    });
    let windows = 0;
    const synced = await syncsDuring(async () => {
      const result = await executePlan(plan, {
        source: quiet,
        sink: counting,
        prefix: 'lake',
        datasets: [hours],
        now,
      });
      windows = result.windows.length;
    });
    expect(windows).toBe(6);
    // 6 objects, 12 marker puts and 4 day marks (two days, each marked before and after).
    expect(puts).toHaveLength(22);
    expect(synced.filter((what) => what.startsWith('file'))).toHaveLength(6);
    expect(synced.filter((what) => what === 'folder')).toHaveLength(6);
  });
});
