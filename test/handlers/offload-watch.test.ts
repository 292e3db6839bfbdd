/**
 * The offload watch Lambda as deployed: the bundled handler (esbuild, as `cdk synth` builds it),
 * imported twice as two execution environments, against moto's S3, SNS and SES, over a lake the
 * hourly export filled from the simulator with an incident staged. Two overlapping invocations of
 * the incident's hour raise one alert: one SNS message, one email, one state in S3. The bundled
 * daily report the next morning lists the incident, read from that state.
 */
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3LakeSink } from '../../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { parseWatchState } from '../../lambdas/core/insights/incident.ts';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import { WATCH_DELAY_MINUTES, WATCH_STATE_KEY_VARIABLE } from '../../lambdas/handlers/environment.ts';
import { DEFAULT_TOKENS } from '../../simulator/index.ts';
import { type RunningMoto, sentRawMessages, startMoto } from '../support/moto.ts';
import { restoreEnvironment } from '../support/process-environment.ts';
import { type SimulatorClient, stageTopPairIncident, startSimulatorClient } from '../support/simulator.ts';
import {
  importHandler,
  type LambdaHandler,
  lambdaContext,
  resolveEnvironment,
  type Synthesized,
  synthesizeWithBundles,
} from './deployment.ts';

const { HOUR, DAY, MINUTE } = TIME;
const DAY0 = Date.UTC(2024, 4, 20);
const BUCKET = 'peer5-watch-test';
const PREFIX = 'peer5';
const SENDER = 'reports@example.com';
const WATCHER = 'noc@example.com';
const DATASETS = DEFAULT_DATASETS.filter((dataset) => dataset.name === 'by_country_isp_1h');
const INCIDENT_FROM = DAY0 + 7 * DAY + 18 * HOUR;

let moto: RunningMoto;
let simulator: SimulatorClient;
let synthesized: Synthesized;
let s3: S3Client;
let topicArn: string;
const handlers: LambdaHandler[] = [];

/** The Scheduler time of the watch run that follows the export of the hour starting at `hour`. */
function watchTimeAfter(hour: number): string {
  return new Date(hour + HOUR + 15 * MINUTE + WATCH_DELAY_MINUTES * MINUTE).toISOString();
}

beforeAll(async () => {
  [moto, simulator] = await Promise.all([
    startMoto(),
    startSimulatorClient({ now: DAY0 + 9 * DAY, segments: 12 }),
  ]);
  synthesized = synthesizeWithBundles({
    sender: SENDER,
    recipients: 'ops@example.com',
    watchRecipients: WATCHER,
    apiBaseUrl: simulator.sim.url,
    datasets: JSON.stringify(DATASETS),
    // The scheduled functions pace their requests to a third of a fifth of apiRequestsPerMinute
    // (2 a minute at the default 30), and these runs send many in seconds: the highest limit leaves
    // the pace out of the way. test/lake/backfill-budget.test.ts tests the pace itself.
    apiRequestsPerMinute: 100_000,
  });
  s3 = new S3Client(moto.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await new SESClient(moto.clientConfig).send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
  await new SecretsManagerClient(moto.clientConfig).send(
    new CreateSecretCommand({
      Name: 'peer5-reporter/api-token',
      SecretString: JSON.stringify({ token: DEFAULT_TOKENS[0] }),
    }),
  );
  topicArn =
    (await new SNSClient(moto.clientConfig).send(new CreateTopicCommand({ Name: 'insights' }))).TopicArn ??
    '';

  stageTopPairIncident(simulator.sim, { from: INCIDENT_FROM, to: INCIDENT_FROM + 3 * HOUR, p2pFactor: 0.2 });
  await runBackfill({
    source: simulator.client,
    sink: new S3LakeSink({ s3, bucket: BUCKET }),
    prefix: PREFIX,
    datasets: DATASETS,
    from: DAY0,
    to: DAY0 + 9 * DAY,
    force: false,
    now: DAY0 + 9 * DAY,
  });

  const fn = synthesized.functions.get('OffloadWatch');
  if (!fn) throw new Error('the stack has no OffloadWatch function');
  const topicId = Object.entries(synthesized.template.Resources).find(
    ([id, resource]) => resource.Type === 'AWS::SNS::Topic' && id.startsWith('InsightsTopic'),
  )?.[0] as string;
  const environment = {
    ...resolveEnvironment(fn.environment, { [synthesized.lakeBucketLogicalId]: BUCKET, [topicId]: topicArn }),
    ...moto.environment,
  };
  // Powertools' log lines and metrics are not what this test reads.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  for (const instance of ['a', 'b']) handlers.push(await importHandler(fn, environment, `watch-${instance}`));
}, 300_000);

afterAll(async () => {
  restoreEnvironment();
  vi.restoreAllMocks();
  await simulator?.close();
  await moto?.stop();
  synthesized?.remove();
});

async function invokeBoth(hour: number): Promise<Record<string, unknown>[]> {
  const fn = synthesized.functions.get('OffloadWatch');
  if (!fn) throw new Error('no OffloadWatch');
  const event = { scheduledTime: watchTimeAfter(hour) };
  return (await Promise.all(handlers.map((handler) => handler(event, lambdaContext(fn))))) as Record<
    string,
    unknown
  >[];
}

async function published(): Promise<{ message: string; subject: string }[]> {
  const data = (await moto.data()) as {
    sns?: { Topic?: { arn: string; sent_notifications: unknown[][] }[] };
  };
  const topic = data.sns?.Topic?.find((entry) => entry.arn === topicArn);
  return (topic?.sent_notifications ?? []).map((entry) => ({
    message: String(entry[1]),
    subject: String(entry[2]),
  }));
}

async function emailsTo(address: string): Promise<string[]> {
  const text = JSON.stringify((await moto.data()).ses ?? {});
  return text.includes(address)
    ? [...text.matchAll(/Peer5 offload (alert|recovered) [^"\\]*/g)].map((m) => m[0])
    : [];
}

describe('the bundled offload watch on moto', () => {
  it('says nothing on a normal hour and keeps the state in S3', async () => {
    const results = await invokeBoth(INCIDENT_FROM - 2 * HOUR);
    expect(results.map((result) => result.status)).toEqual(['steady', 'steady']);
    expect(await published()).toEqual([]);
    const state = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: watchStateKey(PREFIX) }));
    expect(parseWatchState((await state.Body?.transformToString('utf8')) ?? '')).toMatchObject({
      lastCheckedHour: INCIDENT_FROM - 2 * HOUR,
      incident: null,
    });
  });

  it('raises one alert for two overlapping invocations: one SNS message, one email, one incident in S3', async () => {
    const results = await invokeBoth(INCIDENT_FROM);
    expect(results.map((result) => result.alerting)).toEqual([true, true]);
    expect(results.flatMap((result) => result.sent as unknown[])).toHaveLength(1);
    const messages = await published();
    expect(messages).toHaveLength(1);
    const [message] = messages as [{ message: string; subject: string }];
    expect(message.subject).toMatch(/^Peer5 offload alert /);
    const rendered = JSON.parse(message.message) as { default: string; email: string };
    const chatbot = JSON.parse(rendered.default) as {
      version: string;
      source: string;
      metadata: { additionalContext: Record<string, string> };
    };
    expect(chatbot).toMatchObject({ version: '1.0', source: 'custom' });
    expect(chatbot.metadata.additionalContext.dimensions).toBe('country.code,isp.name');
    expect(rendered.email).toMatch(/^Offload fell to /);
    expect(await emailsTo(WATCHER)).toHaveLength(1);
    const state = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: watchStateKey(PREFIX) }));
    const stored = parseWatchState((await state.Body?.transformToString('utf8')) ?? '');
    expect(stored.incident?.startHour).toBe(INCIDENT_FROM);
  });

  it('sends nothing while it goes on, and one recovered message after it', async () => {
    await invokeBoth(INCIDENT_FROM + HOUR);
    expect(await published()).toHaveLength(1);
    const after = await invokeBoth(INCIDENT_FROM + 3 * HOUR);
    expect(after.map((result) => result.alerting)).toEqual([false, false]);
    const messages = await published();
    expect(messages.map((entry) => entry.subject.replace(/ .*/, ''))).toEqual(['Peer5', 'Peer5']);
    expect(messages[1]?.subject).toMatch(/^Peer5 offload recovered /);
    expect(await emailsTo(WATCHER)).toHaveLength(2);
  });

  it('lists the incident in the next morning’s report, read from the state the watch left in S3', async () => {
    const fn = synthesized.functions.get('DailyReport');
    if (!fn) throw new Error('the stack has no DailyReport function');
    // The report reads the one state object, and knows its key only because the watch is deployed.
    expect(fn.environment[WATCH_STATE_KEY_VARIABLE]).toBe(watchStateKey(PREFIX));
    const environment = {
      ...resolveEnvironment(fn.environment, {
        [synthesized.lakeBucketLogicalId]: BUCKET,
        [synthesized.workGroupLogicalId]: 'peer5-reporter',
      }),
      ...moto.environment,
    };
    const report = await importHandler(fn, environment, 'report');
    const date = new Date(INCIDENT_FROM).toISOString().slice(0, 10);
    // The report's clock: the simulator's, two mornings after the incident's day.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(simulator.sim.now());
    try {
      await report({ date }, lambdaContext(fn));
    } finally {
      vi.useRealTimers();
    }
    const raw = sentRawMessages(await moto.data()).find((message) => message.includes(`Peer5 ${date}`));
    const mail = await simpleParser(raw ?? '');
    const stored = parseWatchState(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: watchStateKey(PREFIX) }))
      ).Body?.transformToString('utf8')) ?? '',
    );
    const [closed] = stored.closed;
    expect(closed?.startHour).toBe(INCIDENT_FROM);
    expect(mail.text).toContain('Offload alerts on this day');
    const lines = (mail.text ?? '').split('\n');
    const line = lines[lines.indexOf('Offload alerts on this day') + 1] ?? '';
    expect(line).toMatch(/^ {2}18:00 .*: offload down \d+\.\d pts at worst, /);
    expect(line).toContain(`${closed?.blame?.name} explains`);
    // Recovered when the run that judged 21:00–22:00 went: its export's time, 22:15.
    expect(line).toMatch(/; recovered 22:15$/);
    expect(mail.html).toContain('Offload alerts');
  });
});
