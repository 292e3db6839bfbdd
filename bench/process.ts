/**
 * Child processes the bench measures: wall time, peak RSS by the kernel's VmHWM counter, and CPU
 * time, the whole process's and its main thread's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from '../test/support/run-to-end.ts';

const PEAK_RSS_PRELOAD = fileURLToPath(new URL('./peak-rss.mjs', import.meta.url));

/** This process's peak RSS so far, in MB, as the kernel counts it (VmHWM in /proc/self/status). */
export function ownPeakRssMb(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc/self/status: the bench measures memory on Linux');
  return Number(match[1]) / 1024;
}

/** The kernel's clock ticks per second, the unit of CPU time in /proc. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface Measured {
  readonly seconds: number;
  readonly peakRssMb: number;
  /** CPU time (user and system) of the whole process. */
  readonly cpuSeconds: number;
  /** CPU time of its main thread, which runs the JavaScript. */
  readonly mainThreadCpuSeconds: number;
  readonly stdout: string;
}

interface PeakRecord {
  readonly peakKb: number | null;
  readonly cpuTicks: number;
  readonly mainThreadCpuTicks: number;
}

export interface NodeRunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** @default process.execPath */
  readonly executable?: string;
  /**
   * The child's whole environment is `env` and PATH, nothing of this process's: as a Lambda
   * function's is its template's variables. A developer's shell can hold variables that slow every
   * Node start, such as NODE_EXTRA_CA_CERTS (tens of milliseconds to read a CA bundle).
   * @default false
   */
  readonly onlyEnv?: boolean;
}

interface NodeRun {
  readonly seconds: number;
  readonly stdout: string;
}

/** Runs `node ...args` to its end, timed; fails with its stderr when it exits non-zero. */
async function runNode(args: readonly string[], options: NodeRunOptions): Promise<NodeRun> {
  // Without the parent's NODE_OPTIONS: under `tsx` they load tsx into every child, and the
  // child must pay only for what it runs itself.
  const env: NodeJS.ProcessEnv = options.onlyEnv
    ? { PATH: process.env.PATH, ...options.env }
    : { ...process.env, ...options.env };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const { stdout } = await runToEnd(`node ${args.join(' ')}`, options.executable ?? process.execPath, args, {
    env,
    cwd: options.cwd,
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, stdout };
}

/**
 * Runs a bench script under tsx in a process of its own and returns what the last line of its
 * stdout holds, as JSON: how every case reports its figures to the bench.
 */
export async function runScriptForJson<T>(script: string, args: readonly string[]): Promise<T> {
  const { stdout } = await runNode(['--import', 'tsx', script, ...args], {});
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (line === '') throw new Error(`${script} ${args[0] ?? ''} printed no result`);
  return JSON.parse(line) as T;
}

/** Wall time of `node ...args`, with nothing preloaded into it. */
export async function timeNode(args: readonly string[], options: NodeRunOptions = {}): Promise<number> {
  return (await runNode(args, options)).seconds;
}

/** Runs `node ...args` to its end with peak-rss.mjs preloaded, which records its memory and CPU. */
export async function measureNode(args: readonly string[], options: NodeRunOptions = {}): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'peer5-peak-'));
  const peakFile = join(dir, 'peak');
  try {
    const { seconds, stdout } = await runNode(['--import', PEAK_RSS_PRELOAD, ...args], {
      ...options,
      env: { ...options.env, PEER5_BENCH_PEAK_FILE: peakFile },
    });
    const record = JSON.parse(await readFile(peakFile, 'utf8')) as PeakRecord;
    if (record.peakKb === null)
      throw new Error('no VmHWM in /proc/self/status: the bench measures memory on Linux');
    return {
      seconds,
      peakRssMb: record.peakKb / 1024,
      cpuSeconds: record.cpuTicks / CLOCK_TICKS,
      mainThreadCpuSeconds: record.mainThreadCpuTicks / CLOCK_TICKS,
      stdout,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The item of `all` whose `value` is the median (the upper one of an even count). */
export function medianBy<T>(all: readonly T[], value: (item: T) => number): T {
  return [...all].sort((a, b) => value(a) - value(b))[Math.floor(all.length / 2)] as T;
}

/** The measurement of median wall time among `all`. */
export function medianBySeconds(all: readonly Measured[]): Measured {
  return medianBy(all, (measured) => measured.seconds);
}

/** The median of `runs` measurements of the same command. */
export async function medianOf(runs: number, measure: () => Promise<Measured>): Promise<Measured> {
  const all: Measured[] = [];
  for (let i = 0; i < runs; i++) all.push(await measure());
  return medianBySeconds(all);
}
