/**
 * When the launcher runs the compiled CLI: only while dist/ is a build of the sources as they are.
 * Checked on a folder laid out as a build leaves it, with its record of inputs.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledCliIsFresh, prepareCli } from '../../bin/build-cli.js';
import { runCli } from './run-cli.ts';

const BUILT_AT = Date.UTC(2026, 0, 1);
const SOURCES_AT = BUILT_AT - 60_000;
let root: string;

async function writeAt(file: string, text: string, at: number): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
  await utimes(path.join(root, file), at / 1000, at / 1000);
}

beforeEach(async () => {
  root = `${await mkdtemp(path.join(tmpdir(), 'peer5-build-'))}/`;
  await writeAt('bin/cli.ts', 'export {};', SOURCES_AT);
  await writeAt('package.json', JSON.stringify({ engines: { node: '>=22' } }), SOURCES_AT);
  await writeAt('package-lock.json', '{}', SOURCES_AT);
  await writeAt('dist/cli.mjs', 'export {};', BUILT_AT);
  await writeAt(
    'dist/cli-build.json',
    JSON.stringify({
      inputs: { 'package.json': SOURCES_AT, 'package-lock.json': SOURCES_AT, 'bin/cli.ts': SOURCES_AT },
    }),
    BUILT_AT,
  );
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('whether the compiled CLI is fresh', () => {
  it('is fresh when every source it was built from has the modification time the build read', () => {
    expect(compiledCliIsFresh(root)).toBe(true);
  });

  it('is stale once a source it was built from is edited', async () => {
    await writeAt('bin/cli.ts', 'export const edited = 1;', BUILT_AT + 5_000);
    expect(compiledCliIsFresh(root)).toBe(false);
  });

  it('is stale once a source is replaced by an older copy, as a branch switch can leave it', async () => {
    await writeAt('bin/cli.ts', 'export const older = 1;', SOURCES_AT - 5_000);
    expect(compiledCliIsFresh(root)).toBe(false);
  });

  it('is stale when a source it was built from is gone', async () => {
    await rm(path.join(root, 'bin/cli.ts'));
    expect(compiledCliIsFresh(root)).toBe(false);
  });

  it('is stale when there is no build, or its record is cut short or from an older build', async () => {
    await writeFile(path.join(root, 'dist/cli-build.json'), '{"inputs": {');
    expect(compiledCliIsFresh(root)).toBe(false);
    await writeFile(
      path.join(root, 'dist/cli-build.json'),
      JSON.stringify({ startedAt: BUILT_AT, inputs: ['package.json', 'bin/cli.ts'] }),
    );
    expect(compiledCliIsFresh(root)).toBe(false);
    await rm(path.join(root, 'dist'), { recursive: true });
    expect(compiledCliIsFresh(root)).toBe(false);
  });
});

describe('preparing the CLI, as npm ci and npm link do', () => {
  it('leaves a fresh build in place, so CLIs already running keep the files they load', async () => {
    expect(await prepareCli({ root })).toBe('fresh');
    expect(await readFile(path.join(root, 'dist/cli.mjs'), 'utf8')).toBe('export {};');
  });

  it('builds a stale one, and the build is fresh', async () => {
    await writeAt('bin/cli.ts', 'export const edited = 1;', BUILT_AT + 5_000);
    expect(await prepareCli({ root })).toBe('built');
    expect(await readFile(path.join(root, 'dist/cli.mjs'), 'utf8')).toContain('edited');
    expect(compiledCliIsFresh(root)).toBe(true);
    expect((await readdir(root)).sort()).toEqual(['bin', 'dist', 'package-lock.json', 'package.json']);
  });

  it('rebuilds a fresh one when forced, as npm run build does', async () => {
    expect(await prepareCli({ root, force: true })).toBe('built');
    expect(await readFile(path.join(root, 'dist/cli.mjs'), 'utf8')).not.toBe('export {};');
    expect(compiledCliIsFresh(root)).toBe(true);
  });

  it('finds its build fresh when the sources were written at times later than the clock', async () => {
    const ahead = Date.now() + 24 * 3600_000;
    await writeAt('bin/cli.ts', 'export const ahead = 1;', ahead);
    expect(await prepareCli({ root })).toBe('built');
    expect(compiledCliIsFresh(root)).toBe(true);
    expect(await prepareCli({ root })).toBe('fresh');
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
