import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { simpleParser } from 'mailparser';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.ts';
import { ExportClient } from '../../lambdas/adapters/peer5-api/index.ts';
import { CHART_COLORS } from '../../lambdas/core/report/chart.ts';
import { hexToRgb } from '../../lambdas/core/report/raster.ts';
import { type RunReportResult, runReport } from '../../lambdas/core/report/run.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { pixelVariance, requireChromium, screenshotHtml } from './support/chromium.ts';

// 01:30 on 26 November in New York: the default report day there is the 25th.
const NOW = Date.UTC(2026, 10, 26, 6, 30);

let sim: RunningSimulator;
let outbox: string;
let result: RunReportResult;

beforeAll(async () => {
  requireChromium();
  sim = await startSimulator({ seed: 11, now: NOW });
  outbox = await mkdtemp(join(tmpdir(), 'report-outbox-'));
  result = await runReport({
    source: new ExportClient({ baseUrl: sim.url, token: async () => 'demo-token', now: () => sim.now() }),
    mailer: new OutboxMailer({ dir: outbox }),
    now: NOW,
    timeZone: 'America/New_York',
    from: 'reports@example.com',
    to: ['ops@example.com', 'analytics@example.com'],
    topN: 3,
  });
});

afterAll(async () => {
  await sim?.close();
  if (outbox) await rm(outbox, { recursive: true, force: true });
});

describe('the outbox mailer', () => {
  it('reports on yesterday in the configured zone by default', () => {
    expect(result.summary.date).toBe('2026-11-25');
    expect(result.summary.timeZone).toBe('America/New_York');
    expect(result.summary.segments.every((breakdown) => breakdown.top.length <= 3)).toBe(true);
  });

  it('writes the message as .eml and a browser preview as .html, named by date and subject', async () => {
    const [eml, html] = result.paths ?? [];
    expect(basename(eml ?? '')).toMatch(/^2026-11-25-peer5-offload-[a-z0-9-]+\.eml$/);
    expect(html).toBe(eml?.replace(/\.eml$/, '.html'));
    const mail = await simpleParser(await readFile(eml ?? ''));
    expect(mail.subject).toBe(result.subject);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((entry) => entry.address) : []).toEqual([
      'ops@example.com',
      'analytics@example.com',
    ]);
    expect(result.messageId).toBe(mail.messageId);
  });

  it('inlines the chart in the preview so it opens on its own', async () => {
    const preview = await readFile(result.paths?.[1] ?? '', 'utf8');
    expect(preview).toContain('src="data:image/png;base64,');
    expect(preview).not.toContain('cid:');
  });
});

describe('the preview in a real browser', () => {
  it('renders to a screenshot that is not blank and shows the chart', async () => {
    const png = await screenshotHtml(result.paths?.[1] ?? '', { width: 640, height: 1600 });
    const image = PNG.sync.read(png);
    expect([image.width, image.height]).toEqual([640, 1600]);
    expect(pixelVariance(png)).toBeGreaterThan(100);
    // The chart's P2P green covers thousands of pixels only if the inline image loaded and drew.
    const [r, g, b] = hexToRgb(CHART_COLORS.p2p);
    let green = 0;
    for (let offset = 0; offset < image.data.length; offset += 4) {
      const close =
        Math.abs((image.data[offset] as number) - r) < 12 &&
        Math.abs((image.data[offset + 1] as number) - g) < 12 &&
        Math.abs((image.data[offset + 2] as number) - b) < 12;
      if (close) green += 1;
    }
    expect(green).toBeGreaterThan(3000);
  });
});
