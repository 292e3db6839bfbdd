/**
 * Renders an HTML file in headless Chromium and returns the screenshot, for tests that check the
 * email really displays, and for the README's picture of it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { type Program, requireProgram } from '../../support/prerequisites.ts';

/** Where Chromium is looked for unless `CHROMIUM_PATH` says otherwise. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export function chromium(env: NodeJS.ProcessEnv = process.env): Program {
  return {
    command: env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH,
    purpose: 'the report tests screenshot the email in headless Chromium',
    install:
      'install it with: sudo apt-get install chromium (Debian, Ubuntu), or point CHROMIUM_PATH at a Chromium or Chrome binary (macOS: brew install --cask chromium, then CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium)',
  };
}

/** Chromium's path, or an error saying it is missing and how to install it; call it in `beforeAll`. */
export function requireChromium(env: NodeJS.ProcessEnv = process.env): string {
  return requireProgram(chromium(env), env);
}

export class ChromiumError extends Error {
  override readonly name = 'ChromiumError';
}

export interface ScreenshotOptions {
  readonly width: number;
  readonly height: number;
  readonly timeoutMs?: number;
  /** Where `CHROMIUM_PATH` is read from. */
  readonly env?: NodeJS.ProcessEnv;
}

export async function screenshotHtml(htmlPath: string, options: ScreenshotOptions): Promise<Buffer> {
  const executable = requireChromium(options.env);
  const profile = await mkdtemp(join(tmpdir(), 'report-chromium-'));
  const output = join(profile, 'screenshot.png');
  try {
    const child = spawn(
      executable,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${output}`,
        `--window-size=${options.width},${options.height}`,
        pathToFileURL(htmlPath).href,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    }).finally(() => clearTimeout(timer));
    try {
      return await readFile(output);
    } catch {
      throw new ChromiumError(`chromium wrote no screenshot (exit code ${code}):\n${stderr}`);
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** Cuts rows off the bottom that are all the colour of the bottom-left pixel (empty page). */
export function trimBottom(png: Buffer, marginPx = 24): Buffer {
  const image = PNG.sync.read(png);
  const { width, height, data } = image;
  const background = data.subarray((height - 1) * width * 4, (height - 1) * width * 4 + 4);
  let last = height - 1;
  const rowIsBlank = (y: number): boolean => {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * 4;
      for (let channel = 0; channel < 4; channel += 1) {
        if (data[offset + channel] !== background[channel]) return false;
      }
    }
    return true;
  };
  while (last > 0 && rowIsBlank(last)) last -= 1;
  const newHeight = Math.min(height, last + 1 + marginPx);
  const trimmed = new PNG({ width, height: newHeight });
  data.copy(trimmed.data, 0, 0, width * newHeight * 4);
  return PNG.sync.write(trimmed);
}

/** Variance of the grey level over all pixels: near zero for a blank page. */
export function pixelVariance(png: Buffer): number {
  const { width, height, data } = PNG.sync.read(png);
  let sum = 0;
  let sumSquares = 0;
  const count = width * height;
  for (let index = 0; index < count; index += 1) {
    const grey =
      ((data[index * 4] as number) + (data[index * 4 + 1] as number) + (data[index * 4 + 2] as number)) / 3;
    sum += grey;
    sumSquares += grey * grey;
  }
  const mean = sum / count;
  return sumSquares / count - mean * mean;
}
