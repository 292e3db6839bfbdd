/**
 * When the launcher runs the compiled CLI: only while dist/ is a build of the sources as they are.
 * Checked on a folder laid out as a build leaves it, with its record of inputs.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledCliIsFresh } from '../../bin/build-cli.js';
import { runCli } from './run-cli.ts';

const STARTED_AT = Date.UTC(2026, 0, 1);
let root: string;

async function writeAt(file: string, text: string, at: number): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
  await utimes(path.join(root, file), at / 1000, at / 1000);
}

beforeEach(async () => {
  root = `${await mkdtemp(path.join(tmpdir(), 'peer5-build-'))}/`;
  await writeAt('bin/cli.ts', 'export {};', STARTED_AT - 60_000);
  await writeAt('package.json', '{}', STARTED_AT - 60_000);
  await writeAt('dist/cli.mjs', 'export {};', STARTED_AT + 1_000);
  await writeAt(
    'dist/cli-build.json',
    JSON.stringify({ startedAt: STARTED_AT, inputs: ['package.json', 'bin/cli.ts'] }),
    STARTED_AT + 1_000,
  );
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('whether the compiled CLI is fresh', () => {
  it('is fresh when no source it was built from changed since the build started', () => {
    expect(compiledCliIsFresh(root)).toBe(true);
  });

  it('is stale once a source it was built from is edited', async () => {
    await writeAt('bin/cli.ts', 'export const edited = 1;', STARTED_AT + 5_000);
    expect(compiledCliIsFresh(root)).toBe(false);
  });

  it('is stale when a source it was built from is gone', async () => {
    await rm(path.join(root, 'bin/cli.ts'));
    expect(compiledCliIsFresh(root)).toBe(false);
  });

  it('is stale when there is no build, or its record is cut short', async () => {
    await writeFile(path.join(root, 'dist/cli-build.json'), '{"startedAt": 1');
    expect(compiledCliIsFresh(root)).toBe(false);
    await rm(path.join(root, 'dist'), { recursive: true });
    expect(compiledCliIsFresh(root)).toBe(false);
  });
});

describe('the launcher', () => {
  it('finds the repository’s build fresh, as the tests’ global setup leaves it', () => {
    expect(compiledCliIsFresh()).toBe(true);
  });

  it('runs the TypeScript sources through tsx when asked to, with the same help', async () => {
    const [compiled, source] = await Promise.all([
      runCli(['--help']),
      runCli(['--help'], { env: { PEER5_REPORTER_CLI: 'source' } }),
    ]);
    expect(compiled.code).toBe(0);
    expect(source).toEqual(compiled);
  });
});
