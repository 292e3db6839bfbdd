/**
 * Two runs of one export function at once, as a scheduled run, its async retry and a manual
 * invoke can be: the bundled handlers, imported twice (two Lambda execution environments), against
 * moto's S3 (versioned, so every write of a window leaves a version to count) and the simulator.
 */
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3LakeSink } from '../../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { runLeaseKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { RUN_KIND } from '../../lambdas/handlers/environment.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { restoreEnvironment } from '../support/process-environment.ts';
import {
  importHandler,
  type LambdaHandler,
  lambdaContext,
  resolveEnvironment,
  type Synthesized,
  type SynthesizedFunction,
  synthesizeWithBundles,
} from './deployment.ts';

const DAY = Date.UTC(2024, 4, 10);
const BUCKET = 'peer5-overlap-test';
const SECRET_NAME = 'peer5-reporter/api-token';
const TOKEN = 'tok-overlap-51c2e8';
const PREFIX = 'peer5';

const [HOURLY] = parseDatasets([
  {
    name: 'by_country_1h',
    interval: '1h',
    metrics: ['http', 'p2p'],
    dimensions: ['country.code'],
    cadence: 'hourly',
  },
]) as [DatasetDefinition];
const PAGES = parseDatasets([
  {
    name: 'by_page_1d',
    interval: '1d',
    metrics: ['http', 'p2p'],
    dimensions: ['session.page'],
    cadence: 'daily',
  },
]);

let moto: RunningMoto;
let simulator: RunningSimulator;
let synthesized: Synthesized;
let s3: S3Client;
let sink: S3LakeSink;
let awsEnvironment: Record<string, string>;
/** Two execution environments per function: `${id}/a` and `${id}/b`. */
const handlers = new Map<string, LambdaHandler>();
const output: string[] = [];

function fn(id: string): SynthesizedFunction {
  const found = synthesized.functions.get(id);
  if (!found) throw new Error(`the stack has no function ${id}`);
  return found;
}

function setClock(ms: number): void {
  vi.setSystemTime(ms);
  simulator.setClock(ms);
}

function invoke(id: string, instance: 'a' | 'b', event: unknown): Promise<Record<string, unknown>> {
  const handler = handlers.get(`${id}/${instance}`);
  if (!handler) throw new Error(`handler ${id}/${instance} not imported`);
  return handler(event, lambdaContext(fn(id))) as Promise<Record<string, unknown>>;
}

/** Waits, in real time, until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many times each window object of the hourly dataset was written (its versions). */
async function writesPerWindow(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: BUCKET,
        Prefix: `${PREFIX}/${HOURLY.name}/`,
        ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionMarker } : {}),
      }),
    );
    for (const version of page.Versions ?? []) {
      if (version.Key) counts.set(version.Key, (counts.get(version.Key) ?? 0) + 1);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.NextVersionIdMarker;
  } while (keyMarker);
  return counts;
}

/** The hourly windows a run at `now` must have in the lake: the API's 14-day look-back. */
function expectedWindows(now: number): string[] {
  const lastHour = Math.floor(now / TIME.HOUR) * TIME.HOUR - TIME.HOUR;
  const first = Math.ceil((now - 14 * TIME.DAY) / TIME.HOUR) * TIME.HOUR;
  const keys: string[] = [];
  for (let start = first; start <= lastHour; start += TIME.HOUR) {
    keys.push(objectKey(PREFIX, windowAt(HOURLY, start)));
  }
  return keys;
}

function logLines(): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  [moto, simulator] = await Promise.all([
    startMoto(),
    startSimulator({ segments: 12, lateDataDelayMs: 30 * TIME.MINUTE, tokens: [TOKEN] }),
  ]);
  synthesized = synthesizeWithBundles({
    sender: 'reports@example.com',
    recipients: 'ops@example.com',
    apiBaseUrl: simulator.url,
    settleHours: 1,
    datasets: JSON.stringify([HOURLY, ...PAGES]),
    // The scheduled functions pace their requests to a third of a fifth of apiRequestsPerMinute
    // (2 a minute at the default 30), and these runs send many in seconds: the highest limit leaves
    // the pace out of the way. test/lake/backfill-budget.test.ts tests the pace itself.
    apiRequestsPerMinute: 100_000,
  });
  awsEnvironment = {
    ...moto.environment,
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
  };
  s3 = new S3Client(moto.clientConfig);
  sink = new S3LakeSink({ s3, bucket: BUCKET });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await new SecretsManagerClient(moto.clientConfig).send(
    new CreateSecretCommand({ Name: SECRET_NAME, SecretString: JSON.stringify({ token: TOKEN }) }),
  );

  vi.useFakeTimers({ toFake: ['Date'] });
  setClock(DAY);
  // Powertools writes warnings and errors to stderr, the rest to stdout.
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const id of ['HourlyExport', 'Backfill']) {
    const environment = {
      ...resolveEnvironment(fn(id).environment, { [synthesized.lakeBucketLogicalId]: BUCKET }),
      ...awsEnvironment,
    };
    for (const instance of ['a', 'b'] as const) {
      handlers.set(`${id}/${instance}`, await importHandler(fn(id), environment, `overlap-${instance}`));
    }
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

describe('a second run of an export while one is in flight', () => {
  const firstRun = DAY + 15 * TIME.MINUTE;

  it('does nothing, neither an API request nor a write, and names the run in flight', async () => {
    setClock(firstRun);
    // The scheduled run's first request is held up, so the manual invoke lands while it is in flight.
    simulator.queueFaults([{ kind: 'delay', ms: 1500 }]);
    const requestsBefore = simulator.stats.requests;
    const scheduled = invoke('HourlyExport', 'a', { scheduledTime: new Date(firstRun).toISOString() });
    await until(() => simulator.stats.requests > requestsBefore, 'the scheduled run has sent a request');

    const manual = await invoke('HourlyExport', 'b', {});
    expect(manual).toMatchObject({
      skipped: expect.stringContaining('is in flight, so this one did nothing'),
      heldBy: expect.stringMatching(/^HourlyExport request request-\d+$/),
      heldUntil: expect.any(String),
    });

    const result = await scheduled;
    expect(result).toMatchObject({ windowsFailed: 0, gaps: 0 });
    // Every API request the simulator saw was the scheduled run's own.
    expect(simulator.stats.requests - requestsBefore).toBe(result.apiRequests);
    const writes = await writesPerWindow();
    const expected = expectedWindows(firstRun);
    expect([...writes.keys()].sort()).toEqual(expected);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    expect(result.windowsWritten).toBe(expected.length);
    expect(logLines().filter((line) => line.event === 'run-skipped')).toHaveLength(1);
  });

  it('leaves nothing lost for the next run, which finds every window and runs as usual', async () => {
    const nextRun = firstRun + TIME.HOUR;
    setClock(nextRun);
    const result = await invoke('HourlyExport', 'b', { scheduledTime: new Date(nextRun).toISOString() });
    // The hour that ended, and the provisional hour before it, now settled.
    expect(result).toMatchObject({ windowsWritten: 2, windowsFailed: 0, gaps: 0 });
    const writes = await writesPerWindow();
    for (const key of expectedWindows(nextRun)) expect(writes.has(key), key).toBe(true);
    expect(await sink.head(runLeaseKey(PREFIX, RUN_KIND.hourlyExport))).toBeNull();
  });

  it('does not block the async retry of a failed run: a failed run gives its lease up', async () => {
    const failingRun = firstRun + 2 * TIME.HOUR;
    setClock(failingRun);
    const secrets = new SecretsManagerClient(moto.clientConfig);
    await secrets.send(new PutSecretValueCommand({ SecretId: SECRET_NAME, SecretString: 'tok-revoked-000' }));
    // A fresh execution environment, so the refused token is what it reads.
    const environment = {
      ...resolveEnvironment(fn('HourlyExport').environment, { [synthesized.lakeBucketLogicalId]: BUCKET }),
      ...awsEnvironment,
    };
    const failing = await importHandler(fn('HourlyExport'), environment, 'overlap-failing');
    await expect(failing({}, lambdaContext(fn('HourlyExport')))).rejects.toThrow(/window\(s\) failed/);
    await secrets.send(new PutSecretValueCommand({ SecretId: SECRET_NAME, SecretString: TOKEN }));

    // Lambda's retry, a minute later, in the same environment: it reads the token again on 401.
    setClock(failingRun + TIME.MINUTE);
    const retry = (await failing({}, lambdaContext(fn('HourlyExport')))) as Record<string, unknown>;
    expect(retry).not.toHaveProperty('skipped');
    expect(retry).toMatchObject({ windowsFailed: 0 });
    expect(Number(retry.windowsWritten)).toBeGreaterThan(0);
  });

  it('waits for the timeout of a run that was killed holding the lease, then takes it over', async () => {
    const now = firstRun + 3 * TIME.HOUR;
    setClock(now);
    const leaseKey = runLeaseKey(PREFIX, RUN_KIND.hourlyExport);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: leaseKey,
        Body: JSON.stringify({
          holder: 'HourlyExport request killed-7',
          acquiredAt: now - 5 * TIME.MINUTE,
          expiresAt: now + 6 * TIME.MINUTE,
        }),
      }),
    );
    expect(await invoke('HourlyExport', 'a', {})).toMatchObject({ heldBy: 'HourlyExport request killed-7' });

    setClock(now + 7 * TIME.MINUTE);
    const result = await invoke('HourlyExport', 'a', {});
    expect(result).toMatchObject({ windowsFailed: 0 });
    expect(result).not.toHaveProperty('skipped');
    const tookOver = logLines().filter((line) => line.event === 'lease-taken-over');
    expect(tookOver).toHaveLength(1);
    expect(tookOver[0]?.message).toContain('HourlyExport request killed-7');
    expect(await sink.head(leaseKey)).toBeNull();
  });

  it('tells a backfill invoked beside another to invoke again, and that one then skips the finished days', async () => {
    setClock(DAY + TIME.DAY + 9 * TIME.HOUR);
    const event = { from: '2024-04-01', to: '2024-04-04', datasets: ['by_page_1d'] };
    simulator.queueFaults([{ kind: 'delay', ms: 1500 }]);
    const requestsBefore = simulator.stats.requests;
    const first = invoke('Backfill', 'a', event);
    await until(() => simulator.stats.requests > requestsBefore, 'the first backfill has sent a request');
    const second = await invoke('Backfill', 'b', event);
    expect(second).toMatchObject({
      invokeAgain: true,
      skipped: expect.stringContaining('another backfill run'),
    });
    expect(await first).toMatchObject({ windowsWritten: 3, invokeAgain: false });

    const again = await invoke('Backfill', 'b', event);
    expect(again).toMatchObject({ windowsWritten: 0, apiRequests: 0, invokeAgain: false });
  });

  it('never writes the API token into a log line', () => {
    expect(output.join('')).not.toContain(TOKEN);
  });
});
