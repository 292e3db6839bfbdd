import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium, screenshotHtml } from '../report/support/chromium.ts';
import { startMoto } from './moto.ts';
import {
  findExecutable,
  MissingPrerequisiteError,
  MOTO_SERVER,
  requireProgram,
  TEST_PROJECT_VARIABLE,
} from './prerequisites.ts';

let emptyFolder: string;

beforeAll(async () => {
  emptyFolder = await mkdtemp(path.join(tmpdir(), 'no-programs-'));
});

afterAll(async () => {
  await rm(emptyFolder, { recursive: true, force: true });
});

describe('a machine without the programs the tests start', () => {
  it('is told that moto_server is missing and how to install it, before anything starts', async () => {
    const starting = startMoto({ env: { PATH: emptyFolder } });
    await expect(starting).rejects.toThrow(MissingPrerequisiteError);
    await expect(starting).rejects.toThrow(
      /^moto_server \(not on PATH\) is missing, and the AWS tests run .*: install it with: pip install 'moto\[server\]'/,
    );
  });

  it('is told that Chromium is missing and how to install it, rather than "spawn ENOENT"', async () => {
    const missing = path.join(emptyFolder, 'chromium');
    const env = { CHROMIUM_PATH: missing };
    expect(() => requireChromium(env)).toThrow(MissingPrerequisiteError);
    expect(() => requireChromium(env)).toThrow(`${missing} is missing`);
    expect(() => requireChromium(env)).toThrow(/sudo apt-get install chromium/);
    await expect(screenshotHtml('report.html', { width: 100, height: 100, env })).rejects.toThrow(
      /is missing, and the report tests screenshot the email in headless Chromium: install it with/,
    );
  });

  it('uses the Chromium that CHROMIUM_PATH names, and looks commands up on PATH', () => {
    expect(requireChromium({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
    const nodeFolder = path.dirname(process.execPath);
    expect(findExecutable('node', { PATH: `${emptyFolder}${path.delimiter}${nodeFolder}` })).toBe(
      path.join(nodeFolder, 'node'),
    );
    expect(findExecutable('node', { PATH: emptyFolder })).toBeUndefined();
  });

  it('keeps a test that starts moto or Chromium out of the unit suite, naming where it belongs', () => {
    expect(() => requireProgram(MOTO_SERVER, { [TEST_PROJECT_VARIABLE]: 'unit' })).toThrow(
      /starts moto_server, so it is not a unit test: add its file to INTEGRATION_TESTS in vitest\.config\.ts/,
    );
  });

  it('keeps them out of the slow suite too, which also runs where neither is installed', () => {
    expect(() => requireProgram(MOTO_SERVER, { [TEST_PROJECT_VARIABLE]: 'slow' })).toThrow(
      /starts moto_server, so it is not a slow test: add its file to INTEGRATION_TESTS in vitest\.config\.ts/,
    );
  });
});
