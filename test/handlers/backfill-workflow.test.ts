/**
 * The Backfill state machine as synthesized: its ASL checked with asl-validator, then run in an
 * ASL interpreter (aws-local-stepfunctions) with each Lambda task bound to the bundled handler
 * and the environment the template gives it, against moto's S3 (versioned, so every write of a
 * window leaves a version to count) and the simulator with a rate limit.
 *
 * The interpreter has no Distributed Map: the template's ItemReader and ResultWriter are checked
 * as written, and the large path runs the same items through an inline Map, fed from the item list
 * the Plan step wrote to S3.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3LakeSink } from '../../lambdas/adapters/s3-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { INLINE_ITEMS_LIMIT } from '../../lambdas/core/lake/backfill-items.ts';
import { BACKFILL_WORKFLOW } from '../../lambdas/handlers/environment.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { finalRows, readTable } from '../lake/support/lake.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { restoreEnvironment } from '../support/process-environment.ts';
import { STATE_MACHINE_RUN_TIMEOUT_MS } from '../support/timeouts.ts';
import {
  importHandler,
  type LambdaHandler,
  lambdaContext,
  resolveEnvironment,
  type Synthesized,
  synthesizeWithBundles,
} from './deployment.ts';

// The interpreter calls Promise.withResolvers, which Node has from 22 on; the product supports 20.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const NOW = Date.UTC(2024, 4, 20);
const BUCKET = 'peer5-backfill-workflow-test';
const SECRET_NAME = 'peer5-reporter/api-token';
const TOKEN = 'tok-backfill-7d31a9';
const PREFIX = 'peer5';
const RATE_LIMIT = 1200;
const FUNCTIONS = {
  plan: 'StateMachineBackfillPlan',
  item: 'StateMachineBackfillItem',
  summary: 'StateMachineBackfillSummary',
} as const;

type Definition = { StartAt: string; States: Record<string, Record<string, unknown>> };
type Json = Record<string, unknown>;

let moto: RunningMoto;
let simulator: RunningSimulator;
let synthesized: Synthesized;
let s3: S3Client;
let sink: S3LakeSink;
let definition: Definition;
const handlers = new Map<string, LambdaHandler>();
let executions = 0;

/** The state machine's definition with every CloudFormation token resolved to this test's values. */
function definitionOf(template: Synthesized['template']): Definition {
  const machines = Object.values(template.Resources).filter(
    (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  expect(machines).toHaveLength(1);
  const properties = machines[0]?.Properties ?? {};
  const parts = (properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (token.Ref === 'AWS::Partition') return 'aws';
      if (token.Ref === synthesized.lakeBucketLogicalId) return BUCKET;
      const target = token['Fn::GetAtt']?.[0];
      if (target) return `arn:aws:lambda:us-east-1:123456789012:function:${target}`;
      throw new Error(`cannot resolve ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text) as Definition;
}

/**
 * The same definition with the Distributed Map made inline, fed by a task that reads the item list
 * from S3 as the ItemReader would.
 */
function withInlineDistributedMap(source: Definition): Definition {
  const copy = structuredClone(source);
  const map = copy.States[BACKFILL_WORKFLOW.distributedMapState] as Json;
  for (const field of ['ItemReader', 'ResultWriter', 'ToleratedFailurePercentage', 'Label'])
    delete map[field];
  const processor = map.ItemProcessor as Json;
  processor.ProcessorConfig = { Mode: 'INLINE' };
  map.ItemsPath = '$.items';
  copy.States['Read item list'] = {
    Type: 'Task',
    Resource: 'arn:aws:states:::s3:getObject',
    ResultPath: '$.items',
    Next: BACKFILL_WORKFLOW.distributedMapState,
  };
  const choice = Object.values(copy.States).find(
    (state) => state.Type === 'Choice' && state.Default === BACKFILL_WORKFLOW.distributedMapState,
  );
  if (!choice) throw new Error('no Choice leads to the Distributed Map');
  choice.Default = 'Read item list';
  return copy;
}

/** Binds each task to its bundled handler; `item` may wrap the item handler to inject failures. */
function run(
  input: Json,
  item: (event: unknown) => Promise<unknown> = (event) => call(FUNCTIONS.item, event),
) {
  const machine = new StateMachine(withInlineDistributedMap(definition) as never, {
    validationOptions: { checkArn: false },
  });
  executions += 1;
  const execution = machine.run(input as never, {
    context: {
      Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:Backfill:test-${executions}` },
    } as never,
    overrides: {
      taskResourceLocalHandlers: {
        [BACKFILL_WORKFLOW.planState]: (event) => call(FUNCTIONS.plan, event) as never,
        'Run item': (event) => item(event) as never,
        'Run item (distributed)': (event) => item(event) as never,
        [BACKFILL_WORKFLOW.summaryState]: (event) => call(FUNCTIONS.summary, event) as never,
        'Read item list': async (event) => {
          const list = (event as { itemList: { bucket: string; key: string } }).itemList;
          const object = await s3.send(new GetObjectCommand({ Bucket: list.bucket, Key: list.key }));
          return JSON.parse(await (object.Body?.transformToString() ?? '[]'));
        },
      },
      // The retries' 30/60/120 s are the template's; here they are not waited.
      retryIntervalOverrides: Object.fromEntries(
        [
          BACKFILL_WORKFLOW.planState,
          'Run item',
          'Run item (distributed)',
          BACKFILL_WORKFLOW.summaryState,
        ].map((name) => [name, 0]),
      ),
    },
  });
  return execution.result as Promise<Json>;
}

function call(id: string, event: unknown): Promise<unknown> {
  const handler = handlers.get(id);
  const fn = synthesized.functions.get(id);
  if (!handler || !fn) throw new Error(`no handler ${id}`);
  return handler(structuredClone(event), lambdaContext(fn));
}

/** How many times each window object under the lake prefix was written (its versions). */
async function writesPerKey(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: BUCKET,
        Prefix: `${PREFIX}/`,
        ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionMarker } : {}),
      }),
    );
    for (const version of page.Versions ?? []) {
      if (version.Key?.endsWith('.csv.gz')) counts.set(version.Key, (counts.get(version.Key) ?? 0) + 1);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.NextVersionIdMarker;
  } while (keyMarker);
  return counts;
}

beforeAll(async () => {
  [moto, simulator] = await Promise.all([
    startMoto(),
    startSimulator({
      segments: 6,
      lateDataDelayMs: 30 * TIME.MINUTE,
      tokens: [TOKEN],
      rateLimit: { requests: RATE_LIMIT },
    }),
  ]);
  synthesized = synthesizeWithBundles({
    sender: 'reports@example.com',
    recipients: 'ops@example.com',
    apiBaseUrl: simulator.url,
    apiRequestsPerMinute: RATE_LIMIT,
    backfillConcurrency: 4,
  });
  definition = definitionOf(synthesized.template);
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
  vi.setSystemTime(NOW);
  simulator.setClock(NOW);
  // Powertools' log lines are not this test's output.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const awsEnvironment = {
    ...moto.environment,
  };
  for (const id of Object.values(FUNCTIONS)) {
    const fn = synthesized.functions.get(id);
    if (!fn) throw new Error(`the stack has no function ${id}`);
    const environment = {
      ...resolveEnvironment(fn.environment, { [synthesized.lakeBucketLogicalId]: BUCKET }),
      ...awsEnvironment,
    };
    handlers.set(id, await importHandler(fn, environment, 'backfill-workflow'));
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

describe('the Backfill state machine', { timeout: STATE_MACHINE_RUN_TIMEOUT_MS }, () => {
  it('is valid ASL, with the Distributed Map reading its items from S3 and writing its results there', () => {
    const { isValid, errors } = aslValidator(definition as never);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    expect(definition.States[BACKFILL_WORKFLOW.failState]).toMatchObject({
      Type: 'Fail',
      Error: BACKFILL_WORKFLOW.failError,
      CausePath: '$.summary.text',
    });
    const map = definition.States[BACKFILL_WORKFLOW.distributedMapState] as Json;
    expect(map).toMatchObject({
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: BUCKET, 'Key.$': '$.itemList.key' },
      },
      ResultWriter: { Parameters: { Bucket: BUCKET, Prefix: `${PREFIX}/_backfill/results` } },
      ToleratedFailurePercentage: expect.any(Number),
      MaxConcurrency: 4,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
  });

  it('backfills 14 days of every dataset through the large path, equal to the simulator and never over the rate limit', async () => {
    const from = NOW - 14 * TIME.DAY;
    const requestsBefore = simulator.stats.requests;
    const output = await run({
      from: new Date(from).toISOString(),
      to: new Date(NOW - TIME.DAY).toISOString(),
    });
    expect(output).toMatchObject({ inline: false, summary: { windowsFailed: 0 } });
    expect(Number(output.itemCount)).toBeGreaterThan(INLINE_ITEMS_LIMIT);
    expect(simulator.stats.byStatus[429] ?? 0).toBe(0);
    expect(simulator.stats.requests - requestsBefore).toBe(output.requests);
    for (const dataset of DEFAULT_DATASETS) {
      const table = await readTable(sink, PREFIX, dataset);
      const starts = [...table.windows.keys()].sort((a, b) => a - b);
      const first = starts[0] as number;
      const cadence = dataset.cadence === 'hourly' ? TIME.HOUR : TIME.DAY;
      const end = (starts[starts.length - 1] as number) + cadence;
      // Every window from the first the API served to the end of the range, and nothing else.
      expect(starts.length, dataset.name).toBe((end - first) / cadence);
      expect(end, dataset.name).toBe(NOW - TIME.DAY);
      expect(table.rows, dataset.name).toEqual(finalRows(simulator, dataset, first, end));
    }
    const writes = await writesPerKey();
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
  });

  it('retries an item that fails twice, and then completes', async () => {
    const day = NOW - TIME.DAY;
    const attempts = new Map<string, number>();
    const output = await run(
      { from: new Date(day).toISOString(), to: new Date(NOW).toISOString(), datasets: ['by_country_1h'] },
      async (event) => {
        const key = JSON.stringify(event);
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        if (attempt <= 2)
          throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
        return await call(FUNCTIONS.item, event);
      },
    );
    expect(output).toMatchObject({ inline: true, summary: { windowsFailed: 0 } });
    expect([...attempts.values()]).toEqual(Array(Number(output.itemCount)).fill(3));
  });

  it('ends failed with WindowsFailed when an item keeps failing, and a redrive fetches only what is missing', async () => {
    // By page: the daily dataset, whose days before the large run's range are not in the lake yet.
    const from = NOW - 18 * TIME.DAY;
    const to = NOW - 15 * TIME.DAY;
    const input = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      datasets: ['by_page_1d'],
    };
    const broken = {
      ...input,
      from: new Date(from + TIME.DAY).toISOString(),
      to: new Date(from + 2 * TIME.DAY).toISOString(),
    };
    let brokenCalls = 0;
    const failing = run(input, async (event) => {
      const item = event as Json;
      if (item.from === broken.from) {
        brokenCalls += 1;
        throw Object.assign(new Error('the API kept failing'), { name: 'RunFailedError' });
      }
      return await call(FUNCTIONS.item, event);
    });
    // The Fail state's cause: the Summary's list of what is missing (its error is WindowsFailed).
    await expect(failing).rejects.toThrow(
      /1 window\(s\) were not written: by_page_1d \[2024-05-03T00:00:00\.000Z/,
    );
    // The first attempt and the template's three retries.
    expect(brokenCalls).toBe(4);
    const before = await writesPerKey();

    const redriven = await run(input);
    expect(redriven).toMatchObject({ itemCount: 1, summary: { windowsFailed: 0 } });
    const after = await writesPerKey();
    // One new window; every other window written once, before or now.
    expect(after.size).toBe(before.size + 1);
    expect([...after.values()].every((count) => count === 1)).toBe(true);
    const pages = DEFAULT_DATASETS.find((dataset) => dataset.name === 'by_page_1d');
    if (!pages) throw new Error('by_page_1d is no built-in dataset');
    const table = await readTable(sink, PREFIX, pages);
    const inRange = [...table.windows.keys()].filter((start) => start >= from && start < to);
    expect(inRange).toHaveLength(3);
  });
});
