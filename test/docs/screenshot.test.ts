import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCS_FOLDER,
  npmStartReportSettings,
  PROVENANCE_FILE,
  type Provenance,
  SCREENSHOT_COMMAND,
  SCREENSHOT_FILE,
} from '../../docs/make-screenshot.ts';
import { addDays, localDateOf } from '../../lambdas/core/report/time.ts';
import { REPO_ROOT } from '../cli/run-cli.ts';
import { pixelVariance, requireChromium } from '../report/support/chromium.ts';

const STALE = `the README screenshot is not what npm start writes: run \`${SCREENSHOT_COMMAND}\` and commit docs/${SCREENSHOT_FILE} and docs/${PROVENANCE_FILE}`;

let provenance: Provenance;
let scratch: string;

beforeAll(async () => {
  requireChromium();
  provenance = JSON.parse(await readFile(path.join(DOCS_FOLDER, PROVENANCE_FILE), 'utf8')) as Provenance;
  scratch = await mkdtemp(path.join(tmpdir(), 'screenshot-test-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function runNpm(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

describe('the README screenshot of the report', () => {
  it('is documented with the one command that makes it', async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`](docs/${SCREENSHOT_FILE})`);
    expect(readme).toContain(SCREENSHOT_COMMAND);
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['docs:screenshot']).toBe('tsx docs/make-screenshot.ts');
  });

  it('was made with the settings npm start uses, about the day before the moment it records', async () => {
    const emptyFolder = await mkdtemp(path.join(scratch, 'clone-'));
    expect(provenance.settings, STALE).toEqual(npmStartReportSettings(emptyFolder));
    const now = Date.parse(provenance.now);
    expect(provenance.reportDate).toBe(addDays(localDateOf(now, provenance.settings.timeZone), -1));
    const png = await readFile(path.join(DOCS_FOLDER, SCREENSHOT_FILE));
    expect(
      createHash('sha256').update(png).digest('hex'),
      `docs/${SCREENSHOT_FILE} was changed by hand`,
    ).toBe(provenance.png.sha256);
  });

  it('is what the documented command makes from the HTML that npm start writes at that moment', async () => {
    const out = path.join(scratch, 'made');
    const { code, output } = await runNpm([
      'run',
      'docs:screenshot',
      '--',
      '--now',
      provenance.now,
      '--out',
      out,
    ]);
    expect(code, output).toBe(0);
    const made = JSON.parse(await readFile(path.join(out, PROVENANCE_FILE), 'utf8')) as Provenance;
    // The PNG's bytes depend on the installed Chromium and fonts; the HTML it shows does not.
    const { png: _madePng, ...madeRest } = made;
    const { png: _committedPng, ...committedRest } = provenance;
    expect(madeRest, STALE).toEqual(committedRest);
    const png = await readFile(path.join(out, SCREENSHOT_FILE));
    expect(PNG.sync.read(png).width).toBe(provenance.png.width);
    expect(pixelVariance(png)).toBeGreaterThan(100);
  });
});
