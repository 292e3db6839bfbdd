/** Runs the real `peer5-reporter` command in a child process, as a user would. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO_ROOT, 'bin', 'peer5-reporter.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /**
   * Start it the way a shell starts a foreground job: in a process group of its own, so that
   * `interruptGroup` can deliver a signal to every process in it, as a terminal's Ctrl-C does.
   */
  readonly ownGroup?: boolean;
  /** Through `npx peer5-reporter`, as the README says, instead of the bin itself. */
  readonly viaNpx?: boolean;
}

/**
 * Environment for a child: no real token, no AWS endpoint, unless a test sets them. The compiled
 * CLI (built by the tests' global setup), never the TypeScript fallback, so the tests run what
 * users run.
 */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PEER5_TOKEN: undefined,
    NO_COLOR: '1',
    PEER5_REPORTER_CLI: 'compiled',
  };
  for (const [key, value] of Object.entries(extra)) env[key] = value;
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const [command, commandArgs] = options.viaNpx
    ? ['npx', ['peer5-reporter', ...args]]
    : [process.execPath, [BIN, ...args]];
  return spawn(command, commandArgs, {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownGroup === true,
  });
}

/** Sends `signal` to every process in the child's group, as a terminal does on Ctrl-C. */
export function interruptGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): void {
  if (child.pid === undefined) throw new Error('the child has no pid');
  process.kill(-child.pid, signal);
}

export async function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) =>
    child.on('close', (exitCode) => resolve(exitCode)),
  );
  return { code, stdout, stderr };
}

export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return await collect(spawnCli(args, options));
}
