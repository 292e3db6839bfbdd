import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { parse } from 'csv-parse/sync';
import { simpleParser } from 'mailparser';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportClient } from '../../lambdas/adapters/peer5-api/index.ts';
import { SesMailer } from '../../lambdas/adapters/ses-mailer.ts';
import type { Dimension } from '../../lambdas/core/contract.ts';
import { CHART_HEIGHT, CHART_SCALE, CHART_WIDTH } from '../../lambdas/core/report/chart.ts';
import { ReportDeliveryError } from '../../lambdas/core/report/delivery-error.ts';
import { composeReportEmail } from '../../lambdas/core/report/email.ts';
import { runReport } from '../../lambdas/core/report/run.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { localDayWindow } from '../../lambdas/core/report/time.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { fixtureData } from '../report/support/fixtures.ts';
import { modelRows, sumRows, sumsByValue } from '../report/support/simulator-sums.ts';
import { type RunningMoto, sentRawMessages, startMoto } from '../support/moto.ts';

const SENDER = 'reports@example.com';
const SCRIPT_ISP = '<script>alert("owned")</script>';
const NOW = Date.UTC(2026, 10, 26, 6, 30);

/** The simulator's data, with one ISP renamed to markup, as field data can be. */
function renaming(source: ExportSource, dimension: Dimension, from: string, to: string): ExportSource {
  return {
    async *rows(query, options) {
      for await (const row of source.rows(query, options)) {
        yield row.dimensions[dimension] === from
          ? { ...row, dimensions: { ...row.dimensions, [dimension]: to } }
          : row;
      }
    },
  };
}

function signedPoints(points: number): string {
  const text = points.toFixed(1);
  if (Number(text) === 0) return `±${text.replace('-', '')}`;
  return points > 0 ? `+${text}` : text;
}

let moto: RunningMoto;
let sim: RunningSimulator;
let ses: SESClient;

beforeAll(async () => {
  [moto, sim] = await Promise.all([startMoto(), startSimulator({ seed: 3, now: NOW })]);
  ses = new SESClient({ ...moto.clientConfig });
});

afterAll(async () => {
  ses?.destroy();
  await Promise.all([moto?.stop(), sim?.close()]);
});

describe('sending the report through SES', () => {
  it('delivers a message whose every part is right', async () => {
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
    const client = new ExportClient({
      baseUrl: sim.url,
      token: async () => 'demo-token',
      now: () => sim.now(),
    });
    // Rename the day's biggest plainly named ISP, so the markup lands in the top-5 table.
    const ispBytes = sumsByValue(
      modelRows(sim, localDayWindow('2026-11-25', 'Europe/Berlin'), '1h', ['isp.name']),
      'isp.name',
    );
    const [biggestIsp] = [...ispBytes.entries()]
      .filter(([value]) => value !== null && /^[A-Za-z]/.test(value))
      .sort((a, b) => b[1].http + b[1].p2p - (a[1].http + a[1].p2p))
      .map(([value]) => value as string);
    const result = await runReport({
      source: renaming(client, 'isp.name', biggestIsp ?? 'Comcast', SCRIPT_ISP),
      mailer: new SesMailer({ ses }),
      now: NOW,
      timeZone: 'Europe/Berlin',
      from: `Peer5 Reports <${SENDER}>`,
      to: ['ops@example.com'],
    });
    expect(result.messageId).toBeTruthy();

    // The figures, computed here from the simulator's own rows.
    // The subject leads with offload against the same weekday last week: steady when it moved less
    // than the 2-point threshold (and delivered bytes less than 10%), its change otherwise.
    const day = sumRows(modelRows(sim, localDayWindow('2026-11-25', 'Europe/Berlin'), '1h'));
    const lastWeek = sumRows(modelRows(sim, localDayWindow('2026-11-18', 'Europe/Berlin'), '1h'));
    const offload = day.p2p / (day.http + day.p2p);
    const lastWeekOffload = lastWeek.p2p / (lastWeek.http + lastWeek.p2p);
    const points = Number(((offload - lastWeekOffload) * 100).toFixed(1));
    const deliveredChange = ((day.http + day.p2p) / (lastWeek.http + lastWeek.p2p) - 1) * 100;
    expect(Math.abs(deliveredChange)).toBeLessThan(10);
    const expectedSubject =
      Math.abs(points) < 2
        ? `Peer5 2026-11-25: offload ${(offload * 100).toFixed(1)}%, steady`
        : `Peer5 2026-11-25: offload ${(offload * 100).toFixed(1)}% (${signedPoints(points).replace('-', '−')} pts vs last Wed)`;

    const sent = sentRawMessages(await moto.data());
    expect(sent).toHaveLength(1);
    const raw = sent[0] ?? '';
    expect(raw).toMatch(/Content-Type: multipart\/mixed/);
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toMatch(/Content-Type: multipart\/related/);
    const mail = await simpleParser(raw, { skipImageLinks: true });

    expect(mail.subject).toBe(expectedSubject);
    expect(result.subject).toBe(expectedSubject);
    expect(mail.from?.value[0]?.address).toBe(SENDER);
    expect(mail.text).toContain(`Offload           ${(offload * 100).toFixed(1)}%`);
    const tebibytes = ((day.http + day.p2p) / 2 ** 40).toFixed(1);
    expect(mail.text).toContain(`Delivered         ${tebibytes} TiB`);

    const html = typeof mail.html === 'string' ? mail.html : '';
    expect(html).toContain(`${(offload * 100).toFixed(1)}%`);
    expect(html).toContain(`${tebibytes} TiB`);
    expect(html).not.toMatch(/<script/i);
    // Plain text is never rendered as markup, so there the name is shown as it is.
    expect(mail.text).toContain(SCRIPT_ISP);
    expect(html).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');

    const chart = mail.attachments.find((attachment) => attachment.contentType === 'image/png');
    expect(chart?.contentDisposition).toBe('inline');
    expect(html).toContain(`cid:${chart?.cid}`);
    const image = PNG.sync.read(chart?.content ?? Buffer.alloc(0));
    expect([image.width, image.height]).toEqual([CHART_WIDTH * CHART_SCALE, CHART_HEIGHT * CHART_SCALE]);

    const csvPart = mail.attachments.find((attachment) => attachment.contentType === 'text/csv');
    expect(csvPart?.filename).toBe('peer5-report-2026-11-25.csv');
    const records = parse(csvPart?.content ?? Buffer.alloc(0), { bom: true }) as string[][];
    const isps = records.filter((record) => record[0] === 'isp').map((record) => record[1]);
    // The simulator's catalogue has ISPs named like formulas; a spreadsheet must see them as text.
    expect(isps).toEqual(
      expect.arrayContaining(["'=Net Telecom", "'+Plus Mobile", "'-Dash Networks", "'@Home Fiber"]),
    );
    expect(isps).toContain(SCRIPT_ISP);
    for (const record of records) {
      for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const countryBytes = records
      .filter((record) => record[0] === 'country')
      .reduce((total, record) => total + Number(record[4]), 0);
    expect(countryBytes).toBe(day.http + day.p2p);
  });

  it('says which sender to verify, and how, when SES refuses it', async () => {
    const summary = summarizeReport(
      fixtureData({
        date: '2026-11-25',
        timeZone: 'UTC',
        now: NOW,
        bucket: () => ({ http: 1, p2p: 1, played: 1, rebuffered: 0, sessions: 1 }),
      }),
    );
    const email = await composeReportEmail(summary, {
      from: 'stranger@unverified.example',
      to: ['ops@example.com'],
      now: NOW,
    });
    const failure = await new SesMailer({ ses }).send(email).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReportDeliveryError);
    const error = failure as ReportDeliveryError;
    expect(error.failure).toBe('sender-not-verified');
    expect(error.message).toContain('stranger@unverified.example');
    expect(error.message).toContain('us-east-1');
    expect(error.message).toMatch(/Verify it/);
  });
});
