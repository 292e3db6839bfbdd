/**
 * Runs a child process to its end and hands back what it printed: the bench's measured runs and
 * the screenshot script's `npm start` both need it, and neither may import the other's folder.
 */
import { spawn } from 'node:child_process';

export interface RunToEndOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `executable ...args` with exactly `options.env` (the caller builds it) and collects its
 * output; fails naming `name`, with the end of its stderr, when it exits with anything but 0.
 */
export async function runToEnd(
  name: string,
  executable: string,
  args: readonly string[],
  options: RunToEndOptions = {},
): Promise<RunOutput> {
  const child = spawn(executable, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${name} exited with code ${code}:\n${stderr.slice(-2000)}`);
  return { stdout, stderr };
}
