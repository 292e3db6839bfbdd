/**
 * The CLI installed as a user installs it (`npm link`, into a throwaway global prefix), run from a
 * folder that is not the clone: it must find its own code and dependencies, and work in that folder.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, collect, REPO_ROOT } from './run-cli.ts';

const run = promisify(execFile);
const NOW = '2026-11-20T06:30:00Z';

/** Runs the installed command as a user would: no token, whatever folder it is started in. */
async function runCommand(
  file: string,
  args: readonly string[],
  options: { cwd: string },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.PEER5_TOKEN;
  return await collect(spawn(file, [...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

let prefix: string;
let elsewhere: string;
let installed: string;
let buildBefore: number;
let buildAfter: number;
const BUILD_RECORD = path.join(REPO_ROOT, 'dist', 'cli-build.json');

beforeAll(async () => {
  prefix = await mkdtemp(path.join(tmpdir(), 'peer5-global-'));
  elsewhere = await mkdtemp(path.join(tmpdir(), 'peer5-elsewhere-'));
  buildBefore = (await stat(BUILD_RECORD)).mtimeMs;
  // What the README says: `npm link` in the clone. The prefix keeps it out of the real global folder.
  await run('npm', ['link', '--no-audit', '--no-fund', '--offline'], {
    cwd: REPO_ROOT,
    env: { ...process.env, npm_config_prefix: prefix },
  });
  buildAfter = (await stat(BUILD_RECORD)).mtimeMs;
  installed = path.join(prefix, 'bin', 'peer5-reporter');
}, 120_000);

afterAll(async () => {
  await rm(prefix, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

describe('the installed command', () => {
  it('leaves the clone’s fresh build in place: npm link runs prepare, which rebuilds only a stale one', () => {
    expect(buildAfter).toBe(buildBefore);
  });

  it('is on the global bin path and prints its version from any folder', async () => {
    expect(existsSync(installed)).toBe(true);
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCommand(installed, ['--version'], { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`peer5-reporter ${pkg.version}\n`);
  });

  it('runs an export into ./local/lake of the folder it is run in', async () => {
    const result = await runCommand(
      installed,
      ['run', 'daily', '--now', NOW, '--datasets', 'by_page_1d', '--json'],
      { cwd: elsewhere },
    );
    expect(result.stderr).toContain('embedded simulator');
    expect(result.code).toBe(0);
    const lake = path.join(elsewhere, 'local', 'lake');
    expect((JSON.parse(result.stdout) as { lake: string }).lake).toBe(lake);
    expect(existsSync(path.join(lake, 'by_page_1d', 'dt=2026-11-19', 'by_page_1d_2026-11-19.csv.gz'))).toBe(
      true,
    );
  });
});
