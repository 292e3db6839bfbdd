/**
 * The bundled handlers, exactly as synthesized for Lambda, run in-process against moto (S3,
 * Secrets Manager, SES, CloudWatch) and the API simulator through a simulated day: 24 hourly
 * exports, the daily export, the daily report and its check, a token rotation and a backfill.
 */
import { inspect } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3LakeSink } from '../../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  columnsOf,
  type DatasetDefinition,
  exportRequestFor,
  parseDatasets,
  windowAt,
} from '../../lambdas/core/datasets.ts';
import { utcDateOf } from '../../lambdas/core/dates.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { readLakeObject } from '../../lambdas/core/lake/read.ts';
import { TOKEN_CACHE_MS } from '../../lambdas/handlers/middleware.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type RunningMoto, sentRawMessages, startMoto } from '../support/moto.ts';
import { restoreEnvironment, setEnvironment } from '../support/process-environment.ts';
import {
  emfBlobs,
  importHandler,
  type LambdaHandler,
  lambdaContext,
  publishEmf,
  resolveEnvironment,
  type Synthesized,
  type SynthesizedFunction,
  synthesizeWithBundles,
} from './deployment.ts';

const DAY = Date.UTC(2024, 4, 10);
const REPORT_DATE = '2024-05-10';
const BUCKET = 'peer5-lake-test';
const SECRET_NAME = 'peer5-reporter/api-token';
const FIRST_TOKEN = 'tok-first-7f3a9c';
const ROTATED_TOKEN = 'tok-rotated-b81e44';
/** Typed as the key in the Console's key/value editor, with an empty value. */
const KEYED_TOKEN = 'tok-keyed-5c0d93e2';
const WORK_GROUP = 'peer5-reporter-test';
const SENDER = 'reports@example.com';
const RECIPIENTS = ['ops@example.com', 'cto@example.com'];

const DATASETS: DatasetDefinition[] = parseDatasets([
  {
    name: 'totals_1m',
    interval: '1m',
    metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
    cadence: 'hourly',
  },
  {
    name: 'by_country_1h',
    interval: '1h',
    metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
    dimensions: ['country.code'],
    cadence: 'hourly',
  },
  {
    name: 'by_page_1d',
    interval: '1d',
    metrics: ['http', 'p2p', 'sessions'],
    dimensions: ['session.page'],
    cadence: 'daily',
  },
]);
interface MotoRawMessage {
  readonly source?: string;
  readonly destinations?: string[];
  readonly raw_data?: string;
}

const dataset = (name: string) => DATASETS.find((candidate) => candidate.name === name) as DatasetDefinition;

let moto: RunningMoto;
let simulator: RunningSimulator;
let synthesized: Synthesized;
let s3: S3Client;
let sink: S3LakeSink;
let awsEnvironment: Record<string, string>;
const handlers = new Map<string, LambdaHandler>();
const output: string[] = [];

function fn(id: string): SynthesizedFunction {
  const found = synthesized.functions.get(id);
  if (!found) throw new Error(`the stack has no function ${id}`);
  return found;
}

function environmentOf(id: string): Record<string, string> {
  return {
    ...resolveEnvironment(fn(id).environment, {
      [synthesized.lakeBucketLogicalId]: BUCKET,
      [synthesized.workGroupLogicalId]: WORK_GROUP,
    }),
    ...awsEnvironment,
  };
}

/** Sets the clock of the handlers (Date) and of the simulator to the same instant. */
function setClock(ms: number): void {
  vi.setSystemTime(ms);
  simulator.setClock(ms);
}

async function invoke(id: string, event: unknown): Promise<Record<string, unknown>> {
  const handler = handlers.get(id);
  if (!handler) throw new Error(`handler ${id} not imported`);
  return (await handler(event, lambdaContext(fn(id)))) as Record<string, unknown>;
}

/**
 * The event each schedule of the template sends, by function id: its `Input`, with Scheduler's
 * placeholder filled in as Scheduler fills it.
 */
function scheduleInputs(scheduledTime: string): Map<string, unknown> {
  const inputs = new Map<string, unknown>();
  for (const resource of Object.values(synthesized.template.Resources)) {
    if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const target = resource.Properties?.Target as { Arn: { 'Fn::GetAtt': [string, string] }; Input: string };
    const id = target.Arn['Fn::GetAtt'][0].replace(/Function[0-9A-F]{8}$/, '');
    inputs.set(id, JSON.parse(target.Input.replaceAll('<aws.scheduler.scheduled-time>', scheduledTime)));
  }
  return inputs;
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(prefix)) keys.push(key);
  return keys;
}

async function readObject(key: string): Promise<(string | null)[][]> {
  const records = await readLakeObject(sink, key);
  if (records === null) throw new Error(`no object ${key}`);
  const lines: (string | null)[][] = [];
  for await (const record of records) lines.push(record);
  return lines;
}

beforeAll(async () => {
  moto = await startMoto();
  simulator = await startSimulator({
    segments: 40,
    lateDataDelayMs: 30 * TIME.MINUTE,
    tokens: [FIRST_TOKEN],
  });
  synthesized = synthesizeWithBundles({
    sender: `Peer5 Reports <${SENDER}>`,
    recipients: RECIPIENTS.join(','),
    apiBaseUrl: simulator.url,
    settleHours: 1,
    datasets: JSON.stringify(DATASETS),
    // The scheduled functions pace their requests to a third of a fifth of apiRequestsPerMinute
    // (2 a minute at the default 30), and these runs send many in seconds: the highest limit leaves
    // the pace out of the way. test/lake/backfill-budget.test.ts tests the pace itself.
    apiRequestsPerMinute: 100_000,
  });
  awsEnvironment = {
    ...moto.environment,
    // What the template's LoggingConfig (application log level INFO) makes Lambda set.
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
  };

  s3 = new S3Client(moto.clientConfig);
  sink = new S3LakeSink({ s3, bucket: BUCKET });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await new SecretsManagerClient(moto.clientConfig).send(
    new CreateSecretCommand({ Name: SECRET_NAME, SecretString: JSON.stringify({ token: FIRST_TOKEN }) }),
  );
  await new SESClient(moto.clientConfig).send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));

  vi.useFakeTimers({ toFake: ['Date'] });
  setClock(DAY);
  // Everything the handlers log goes to CloudWatch: stdout, and stderr for warnings and errors.
  // Keep both, to look for the token later.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  for (const id of ['HourlyExport', 'DailyExport', 'DailyReport', 'Backfill', 'ReportCheck']) {
    handlers.set(id, await importHandler(fn(id), environmentOf(id)));
  }
}, 120_000);

afterAll(async () => {
  restoreEnvironment();
  vi.restoreAllMocks();
  vi.useRealTimers();
  await simulator?.close();
  await moto?.stop();
  synthesized?.remove();
});

describe('a simulated day of the deployed functions', () => {
  const hourlyRuns: Record<string, unknown>[] = [];

  it('runs an hourly export at quarter past every hour, catching up the API look-back on the first run', async () => {
    for (let hour = 1; hour <= 24; hour++) {
      setClock(DAY + hour * TIME.HOUR + 15 * TIME.MINUTE);
      hourlyRuns.push(await invoke('HourlyExport', { scheduledTime: new Date(Date.now()).toISOString() }));
    }
    expect(hourlyRuns.every((run) => run.windowsFailed === 0 && run.gaps === 0)).toBe(true);
    // The first run fills 7 days of 1-minute totals and 14 days of hourly countries.
    expect(hourlyRuns[0]?.windowsWritten).toBeGreaterThan(7 * 24 + 14 * 24 - 10);
    // Later runs write the hour that just ended and the one that has now settled.
    expect(hourlyRuns.slice(1).every((run) => run.windowsWritten === 4)).toBe(true);
    // The first run also curates every whole day it caught up, once final: all but the first
    // (partial) day of each hourly table, 6 of the totals and 13 of the countries. Later runs add none
    // until today is over.
    expect(hourlyRuns.every((run) => run.curatedDaysFailed === 0)).toBe(true);
    expect(hourlyRuns[0]?.curatedDaysWritten).toBe(6 + 13);
    const curated = await listKeys('peer5/totals_1m_curated/');
    expect(curated.at(-1)).toBe(
      `peer5/totals_1m_curated/dt=${utcDateOf(DAY - TIME.DAY)}/totals_1m_${utcDateOf(DAY - TIME.DAY)}.parquet`,
    );
  });

  it('has written every hour of the day for every hourly dataset, final except the last hour', async () => {
    for (const name of ['totals_1m', 'by_country_1h']) {
      const definition = dataset(name);
      for (let hour = 0; hour < 24; hour++) {
        const key = objectKey('peer5', windowAt(definition, DAY + hour * TIME.HOUR));
        const head = await sink.head(key);
        expect(head, key).not.toBeNull();
      }
      const markers = await listKeys(`peer5/_provisional/${name}/`);
      expect(markers).toEqual([`peer5/_provisional/${name}/2024-05-10T23:00:00.000Z`]);
    }
  });

  it('stores the same rows the API serves once the data has settled', async () => {
    const definition = dataset('by_country_1h');
    const window = windowAt(definition, DAY + 12 * TIME.HOUR);
    const [header, ...rows] = await readObject(objectKey('peer5', window));
    expect(header).toEqual(columnsOf(definition).map((column) => column.name));
    const expected = [
      ...simulator.rows(exportRequestFor(definition, window.start, window.end), { asOf: 'final' }),
    ];
    expect(rows).toHaveLength(expected.length);
    const p2pColumn = columnsOf(definition).findIndex((column) => column.source === 'p2p');
    const storedP2p = rows.reduce((sum, row) => sum + Number(row[p2pColumn]), 0);
    const servedP2p = expected.reduce((sum, row) => sum + (row.metrics.p2p ?? 0), 0);
    expect(storedP2p).toBe(servedP2p);
    expect(rows[0]?.[0]).toBe(String(window.start));
  });

  it('picks up a rotated API token after a 401, without a redeploy', async () => {
    const before = Date.now();
    await new SecretsManagerClient(moto.clientConfig).send(
      new PutSecretValueCommand({ SecretId: SECRET_NAME, SecretString: ROTATED_TOKEN }),
    );
    const port = simulator.port;
    const clock = simulator.now();
    await simulator.close();
    simulator = await startSimulator({
      port,
      now: clock,
      segments: 40,
      lateDataDelayMs: 30 * TIME.MINUTE,
      tokens: [ROTATED_TOKEN],
    });
    // Five minutes after the last run, the cached token is still the old one.
    setClock(before + 5 * TIME.MINUTE);
    const run = await invoke('HourlyExport', {});
    expect(run.windowsFailed).toBe(0);
    expect(simulator.stats.byStatus[401]).toBe(1);
    expect(output.join('')).toContain('reading the token from Secrets Manager again');
  });

  it('runs the daily export after midnight UTC and writes the finished day', async () => {
    setClock(DAY + TIME.DAY + 3 * TIME.HOUR);
    const run = await invoke('DailyExport', { scheduledTime: new Date(Date.now()).toISOString() });
    expect(run).toMatchObject({ windowsFailed: 0, gaps: 0 });
    const key = objectKey('peer5', windowAt(dataset('by_page_1d'), DAY));
    const [header, ...rows] = await readObject(key);
    expect(header).toEqual(['timestamp', 'session_page', 'http', 'p2p', 'sessions']);
    expect(rows.length).toBeGreaterThan(0);
    expect(await listKeys('peer5/_provisional/by_page_1d/')).toEqual([]);
  });

  it('emails the report on the previous day from the sender to every recipient', async () => {
    setClock(DAY + TIME.DAY + 8 * TIME.HOUR + 2 * TIME.MINUTE);
    const scheduledTime = new Date(DAY + TIME.DAY + 8 * TIME.HOUR).toISOString();
    const result = await invoke('DailyReport', { scheduledTime });
    expect(result).toMatchObject({ date: REPORT_DATE, recipients: 2 });

    // This moto lists raw sends under `ses.RawMessage`.
    const ses = (await moto.data()).ses as { RawMessage?: MotoRawMessage[] } | undefined;
    const sent = ses?.RawMessage ?? [];
    expect(sent).toHaveLength(1);
    const message = sent[0];
    expect(message?.source).toContain(SENDER);
    expect(new Set(message?.destinations)).toEqual(new Set(RECIPIENTS));
    const mail = await simpleParser(message?.raw_data ?? '');
    expect(mail.subject).toBe(result.subject);
    expect(mail.from?.text).toContain(SENDER);
    expect(mail.html || mail.text).toBeTruthy();
    // The footer: the lake's day as the exports above left it (listed in moto's S3), the deployed
    // workgroup and database, and the requests the report made.
    expect(mail.text).toMatch(/by_country_1h: 24 of 24 windows written, \d+ provisional, none missing/);
    expect(mail.text).toContain(`Query the day in Athena (workgroup ${WORK_GROUP}, database peer5_reporter)`);
    expect(mail.text).toContain(`This report took ${result.apiRequests} Peer5 API requests.`);
  });

  it('counts the report as sent, and the check an hour after it was due finds it so', async () => {
    const reportsLate = () =>
      emfBlobs(output)
        .filter((blob) => 'ReportsLate' in blob)
        .map((blob) => blob.ReportsLate);
    // The report records that no report is late any more.
    expect(reportsLate()).toEqual([0]);
    // CloudWatch Logs would turn the handlers' EMF lines into metrics; here they go to moto.
    const cloudwatch = new CloudWatchClient(moto.clientConfig);
    await publishEmf(emfBlobs(output), cloudwatch);

    setClock(DAY + TIME.DAY + 9 * TIME.HOUR + 20_000);
    const onTime = await invoke('ReportCheck', {
      scheduledTime: new Date(DAY + TIME.DAY + 9 * TIME.HOUR).toISOString(),
    });
    expect(onTime).toMatchObject({ dueAt: '2024-05-11T08:00:00.000Z', reportsSent: 1, late: false });
    expect(reportsLate()).toEqual([0, 0]);

    // The next day nothing is sent: the check records ReportsLate = 1, which the alarm fires on.
    setClock(DAY + 2 * TIME.DAY + 9 * TIME.HOUR + 20_000);
    const missing = await invoke('ReportCheck', {
      scheduledTime: new Date(DAY + 2 * TIME.DAY + 9 * TIME.HOUR).toISOString(),
    });
    expect(missing).toMatchObject({ dueAt: '2024-05-12T08:00:00.000Z', reportsSent: 0, late: true });
    expect(reportsLate()).toEqual([0, 0, 1]);
    await expect(invoke('ReportCheck', { scheduledTme: 'x' })).rejects.toThrow(/Invalid report check event/);
  });

  it('backfills a past range of a chosen dataset and names the field of a bad event', async () => {
    setClock(DAY + TIME.DAY + 9 * TIME.HOUR);
    const result = await invoke('Backfill', {
      from: '2024-04-01',
      to: '2024-04-03',
      datasets: ['by_page_1d'],
    });
    expect(result).toMatchObject({ windowsWritten: 2, windowsFailed: 0, invokeAgain: false });
    const april = await listKeys('peer5/by_page_1d/dt=2024-04-0');
    expect(april).toEqual([
      objectKey('peer5', windowAt(dataset('by_page_1d'), Date.UTC(2024, 3, 1))),
      objectKey('peer5', windowAt(dataset('by_page_1d'), Date.UTC(2024, 3, 2))),
    ]);
    await expect(invoke('Backfill', { from: 'last week', to: '2024-04-03' })).rejects.toThrow(
      /Invalid backfill event "from"/,
    );
    await expect(
      invoke('Backfill', { from: '2024-04-01', to: '2024-04-03', datasets: ['nope'] }),
    ).rejects.toThrow(/"datasets\[0\]": must be one of totals_1m, by_country_1h, by_page_1d/);
  });

  it('refuses a misspelt key in an event before acting: nothing sent, written or requested', async () => {
    setClock(DAY + TIME.DAY + 9 * TIME.HOUR + 30 * TIME.MINUTE);
    const sent = sentRawMessages(await moto.data()).length;
    const keys = await listKeys('peer5/');
    const requests = simulator.stats.requests;
    await expect(invoke('DailyReport', { Date: REPORT_DATE })).rejects.toThrow(
      'Invalid report event "Date": is not a field of this event; did you mean "date"?',
    );
    await expect(
      invoke('Backfill', { from: '2024-03-01', to: '2024-03-03', datasets: ['by_page_1d'], forse: true }),
    ).rejects.toThrow('Invalid backfill event "forse": is not a field of this event; did you mean "force"?');
    await expect(invoke('HourlyExport', { dataset: ['totals_1m'] })).rejects.toThrow(
      'Invalid export event "dataset": is not a field of this event; its fields are scheduledTime',
    );
    expect(sentRawMessages(await moto.data())).toHaveLength(sent);
    expect(await listKeys('peer5/')).toEqual(keys);
    expect(simulator.stats.requests).toBe(requests);
  });

  it("runs on what the stack's schedules send, and on an EventBridge rule's scheduled event", async () => {
    const scheduledTime = '2024-05-11T10:15:00Z';
    setClock(Date.parse(scheduledTime) + 2 * TIME.MINUTE);
    const inputs = scheduleInputs(scheduledTime);
    const ruleEvent = {
      version: '0',
      id: 'c6bb5b4e-2a47-4d1c-9a0b-1f5d2c3e4a5b',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: scheduledTime,
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/peer5-reporter'],
      detail: {},
    };
    // The offload watch's schedule payload is run against its bundled handler in offload-watch.test.ts.
    expect([...inputs.keys()].sort()).toEqual([
      'DailyExport',
      'DailyReport',
      'HourlyExport',
      'OffloadWatch',
      'ReportCheck',
    ]);
    const sent = sentRawMessages(await moto.data()).length;
    for (const event of [inputs.get('HourlyExport'), ruleEvent]) {
      expect(await invoke('HourlyExport', event)).toMatchObject({ windowsFailed: 0 });
    }
    for (const event of [inputs.get('DailyExport'), ruleEvent]) {
      expect(await invoke('DailyExport', event)).toMatchObject({ windowsFailed: 0 });
    }
    for (const event of [inputs.get('DailyReport'), ruleEvent]) {
      expect(await invoke('DailyReport', event)).toMatchObject({ date: REPORT_DATE, recipients: 2 });
    }
    expect(sentRawMessages(await moto.data())).toHaveLength(sent + 2);
    for (const event of [inputs.get('ReportCheck'), ruleEvent]) {
      expect(await invoke('ReportCheck', event)).toMatchObject({ dueAt: expect.any(String) });
    }
  });

  it('refuses a secret that holds the token as a JSON key, naming the secret and never the token', async () => {
    await new SecretsManagerClient(moto.clientConfig).send(
      new PutSecretValueCommand({
        SecretId: SECRET_NAME,
        SecretString: JSON.stringify({ [KEYED_TOKEN]: '' }),
      }),
    );
    // Past the token cache, so the next invocations read the secret again.
    setClock(Date.now() + TOKEN_CACHE_MS + TIME.MINUTE);
    const logged = output.length;
    const expected = `secret "${SECRET_NAME}" holds a JSON object without a non-empty string "token" field`;
    const errors: unknown[] = [];
    for (const [id, event] of [
      ['HourlyExport', {}],
      ['DailyReport', { date: REPORT_DATE }],
    ] as const) {
      errors.push(
        await invoke(id, event).then(
          () => 'succeeded',
          (error: unknown) => error,
        ),
      );
    }
    expect(errors.map((error) => (error as Error).name)).toEqual(['RunFailedError', 'ExportAuthError']);
    expect(String(errors[1])).toContain(expected);
    const logs = output.slice(logged).join('');
    // Log lines are JSON, so the message's quotes are escaped there.
    expect(logs).toContain(JSON.stringify(expected).slice(1, -1));
    for (const text of [logs, ...errors.map((error) => inspect(error, { depth: 10 }))]) {
      expect(text).not.toContain(KEYED_TOKEN);
    }
  });

  it('never writes the API token into a log line', () => {
    const logs = output.join('');
    expect(logs).toContain('"event":"run-finished"');
    expect(logs).not.toContain(FIRST_TOKEN);
    expect(logs).not.toContain(ROTATED_TOKEN);
    expect(logs).not.toContain(KEYED_TOKEN);
  });

  it('emits the run metrics in CloudWatch embedded metric format under the service dimension', () => {
    const blobs = output
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as { service?: string; WindowsWritten?: number; _aws: unknown });
    expect(blobs.some((blob) => blob.service === 'peer5-reporter' && (blob.WindowsWritten ?? 0) > 0)).toBe(
      true,
    );
  });

  it('fails a cold start with a bad setting in the environment, naming the variable', async () => {
    const environment = { ...environmentOf('HourlyExport'), PEER5_PREFIX: '/leading-slash' };
    await expect(importHandler(fn('HourlyExport'), environment, 'bad-prefix')).rejects.toThrow(
      /Invalid environment variable "PEER5_PREFIX"/,
    );
    setEnvironment(environmentOf('HourlyExport'));
  });
});

describe('the lake objects in moto', () => {
  it('live only below the lake prefix', async () => {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(page.Contents?.every((object) => object.Key?.startsWith('peer5/'))).toBe(true);
  });
});
