/**
 * `npm run docs:screenshot [-- --now ISO] [--out DIR]`: the README's picture of the report email.
 *
 * It runs `peer5-reporter start` (what `npm start` runs) in an empty folder, so no config file
 * changes it, screenshots the HTML preview that run wrote to `local/outbox` in headless Chromium,
 * and writes `report-screenshot.png` with `report-screenshot.json` beside it: the moment it acted
 * as of (default: now, so the report is on yesterday, as `npm start`'s is), the settings the
 * report was made with and the hashes of the HTML and the PNG. test/docs/screenshot.test.ts checks
 * that these are what `npm start` uses and writes.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { COMMANDS } from '../bin/cli/commands.ts';
import { resolveOptions } from '../bin/cli/options.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { screenshotHtml, trimBottom } from '../test/report/support/chromium.ts';
import { runToEnd } from '../test/support/run-to-end.ts';

export const DOCS_FOLDER = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(DOCS_FOLDER);
export const SCREENSHOT_FILE = 'report-screenshot.png';
export const PROVENANCE_FILE = 'report-screenshot.json';
/** How a reader regenerates the picture; the README documents the same command. */
export const SCREENSHOT_COMMAND = 'npm run docs:screenshot';
/** The width of a typical mail client's reading pane. */
const VIEWPORT = { width: 680, height: 2600 } as const;

/** The settings the report of `npm start` is made with (commands/start.ts passes these to runReport). */
export interface ReportSettings {
  readonly timeZone: string;
  readonly reportTopN: number;
  readonly sender: string;
  readonly recipients: readonly string[];
}

export interface Provenance {
  readonly madeBy: string;
  /** `--now` of the `start` run; the report covers the day before it in `settings.timeZone`. */
  readonly now: string;
  readonly reportDate: string;
  readonly subject: string;
  readonly settings: ReportSettings;
  /** The preview `start` wrote to local/outbox, by name and SHA-256. */
  readonly html: { readonly file: string; readonly sha256: string };
  readonly png: { readonly sha256: string; readonly width: number; readonly height: number };
}

/** What `npm start` reports with when run in `cwd`: its defaults, unless a config file is there. */
export function npmStartReportSettings(cwd: string): ReportSettings {
  const start = COMMANDS.find((command) => command.name === 'start');
  if (start === undefined) throw new Error('the CLI has no start command');
  const { settings } = resolveOptions({}, start.flags, { cwd, local: true });
  return {
    timeZone: settings.timeZone,
    reportTopN: settings.reportTopN,
    sender: settings.sender,
    recipients: settings.recipients,
  };
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface StartJson {
  readonly report: { readonly subject: string; readonly date: string; readonly paths: readonly string[] };
}

/** Runs `peer5-reporter start --now ISO --json` in `cwd` and returns what it printed. */
async function runStart(cwd: string, now: string): Promise<StartJson> {
  const { stdout } = await runToEnd(
    'peer5-reporter start',
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'peer5-reporter.js'), 'start', '--now', now, '--json'],
    { cwd, env: { ...process.env, NO_COLOR: '1' } },
  );
  return JSON.parse(stdout) as StartJson;
}

export async function makeScreenshot(options: { now: string; out: string }): Promise<Provenance> {
  const folder = await mkdtemp(path.join(tmpdir(), 'report-screenshot-'));
  try {
    const started = await runStart(folder, options.now);
    const preview = started.report.paths.find((file) => file.endsWith('.html'));
    if (preview === undefined) throw new Error('npm start wrote no HTML preview to local/outbox');
    const png = trimBottom(await screenshotHtml(preview, VIEWPORT));
    const { width, height } = PNG.sync.read(png);
    const provenance: Provenance = {
      madeBy: `${SCREENSHOT_COMMAND} -- --now ${options.now}`,
      now: options.now,
      reportDate: started.report.date,
      subject: started.report.subject,
      settings: npmStartReportSettings(folder),
      html: { file: path.basename(preview), sha256: sha256(await readFile(preview)) },
      png: { sha256: sha256(png), width, height },
    };
    await mkdir(options.out, { recursive: true });
    await writeFile(path.join(options.out, SCREENSHOT_FILE), png);
    await writeFile(path.join(options.out, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
    return provenance;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The start of the current minute, as `--now` spells it. */
function thisMinute(): string {
  return new Date(Math.floor(Date.now() / TIME.MINUTE) * TIME.MINUTE).toISOString().replace('.000Z', 'Z');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { now: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: false,
  });
  const out = path.resolve(values.out ?? DOCS_FOLDER);
  const provenance = await makeScreenshot({ now: values.now ?? thisMinute(), out });
  console.log(
    `${provenance.subject}\nwrote ${path.join(out, SCREENSHOT_FILE)} and ${path.join(out, PROVENANCE_FILE)}`,
  );
}
