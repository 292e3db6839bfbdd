/**
 * Renders a real daily report against the simulator and saves a browser screenshot of it as
 * docs/report-screenshot.png, for the README. Run: npx tsx docs/make-screenshot.ts
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExportClient } from '../lambdas/core/client/index.ts';
import { OutboxMailer } from '../lambdas/core/report/outbox-mailer.ts';
import { runReport } from '../lambdas/core/report/run.ts';
import { startSimulator } from '../simulator/index.ts';
import { screenshotHtml, trimBottom } from '../test/report/support/chromium.ts';

// A fixed clock and seed, so the picture only changes when the report does.
const NOW = Date.UTC(2026, 10, 26, 6, 0);
const target = fileURLToPath(new URL('./report-screenshot.png', import.meta.url));

const sim = await startSimulator({ seed: 1, now: NOW });
const outbox = await mkdtemp(join(tmpdir(), 'report-screenshot-'));
try {
  const result = await runReport({
    source: new ExportClient({ baseUrl: sim.url, token: async () => 'demo-token', now: () => sim.now() }),
    mailer: new OutboxMailer({ dir: outbox }),
    now: NOW,
    timeZone: 'Europe/Berlin',
    from: 'Peer5 Reports <reports@example.com>',
    to: ['ops@example.com'],
    topN: 3,
  });
  const preview = result.paths?.[1];
  if (preview === undefined) throw new Error('the outbox wrote no HTML preview');
  const png = await screenshotHtml(preview, { width: 680, height: 2600 });
  await writeFile(target, trimBottom(png));
  console.log(`${result.subject}\nwrote ${target}`);
} finally {
  await sim.close();
  await rm(outbox, { recursive: true, force: true });
}
