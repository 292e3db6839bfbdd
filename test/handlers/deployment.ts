/**
 * A "deployment" for in-process tests: synthesizes the real stack, takes each function's bundle
 * (built by the real esbuild bundling) and its environment out of the cloud assembly, resolves the
 * environment's Refs to resources the test created in moto, and imports the bundle so its handler
 * can be called like Lambda would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { createApp } from '../../lib/app.ts';
import { setEnvironment } from '../support/process-environment.ts';
import { cachedBundles, functionIdOf } from './bundle-cache.ts';

export interface SynthesizedFunction {
  /** The function's construct id in the stack, e.g. `HourlyExport`. */
  readonly id: string;
  /** Absolute path of the bundled `index.mjs`. */
  readonly bundle: string;
  /** The environment as written in the template (values may be `{Ref: ...}`). */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
}

export interface Synthesized {
  readonly outdir: string;
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  readonly functions: ReadonlyMap<string, SynthesizedFunction>;
  /** Logical id of the created lake bucket, to map its Ref to a bucket name. */
  readonly lakeBucketLogicalId: string;
  /** Logical id of the Athena workgroup, whose Ref (its name) the report's environment carries. */
  readonly workGroupLogicalId: string;
  remove(): void;
}

/**
 * Synthesizes the app's template into a temporary folder and gives each function the bundle the
 * real esbuild bundling built for it (built once per change of the sources: see bundle-cache.ts).
 * The bundles are self-contained (the AWS SDK included), so they run from anywhere.
 */
export function synthesizeWithBundles(context: Record<string, unknown>): Synthesized {
  const bundles = cachedBundles();
  const outdir = mkdtempSync(join(tmpdir(), 'peer5-synth-'));
  // The security checks have their own test; here only the bundles and the environment matter.
  const { app, stack } = createApp({ context, outdir, checks: false, bundle: false });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as Synthesized['template'];
  const functions = new Map<string, SynthesizedFunction>();
  let lakeBucketLogicalId = '';
  let workGroupLogicalId = '';
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::S3::Bucket' && logicalId.startsWith('LakeBucket'))
      lakeBucketLogicalId = logicalId;
    if (resource.Type === 'AWS::Athena::WorkGroup') workGroupLogicalId = logicalId;
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const properties = resource.Properties as {
      Environment: { Variables: Record<string, unknown> };
      Timeout: number;
    };
    const id = functionIdOf(logicalId);
    const bundle = bundles.get(id);
    if (!bundle) throw new Error(`no bundle for ${logicalId}: the bundle cache's context lacks it`);
    functions.set(id, {
      id,
      bundle,
      environment: properties.Environment.Variables,
      timeoutSeconds: properties.Timeout,
    });
  }
  return {
    outdir,
    template,
    functions,
    lakeBucketLogicalId,
    workGroupLogicalId,
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The template's environment with every `{Ref: logicalId}` replaced by `refs[logicalId]`. */
export function resolveEnvironment(
  environment: Readonly<Record<string, unknown>>,
  refs: Readonly<Record<string, string>>,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value === 'string') {
      resolved[name] = value;
      continue;
    }
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref !== 'string' || refs[ref] === undefined) {
      throw new Error(
        `environment variable ${name} is ${JSON.stringify(value)}, which this test cannot resolve`,
      );
    }
    resolved[name] = refs[ref];
  }
  return resolved;
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

let coldStarts = 0;

/**
 * Imports a bundle with `environment` in `process.env`, as Lambda's init would: module-scope code
 * (settings, SDK clients) reads it once, here. Each call is a fresh module instance, as a new cold
 * start is, even for a bundle another test file of the same worker loaded (vitest.config.ts keeps
 * modules from file to file). The variables stay set, since SDK clients read credentials at their
 * first request: the test file puts them back with `restoreEnvironment` (test/support) once done.
 */
export async function importHandler(
  fn: SynthesizedFunction,
  environment: Readonly<Record<string, string>>,
  /** Names the instance in stack traces and profiles. */
  coldStart = 'first',
): Promise<LambdaHandler> {
  setEnvironment(environment);
  coldStarts += 1;
  const url = `${pathToFileURL(fn.bundle).href}?cold-start=${encodeURIComponent(coldStart)}-${coldStarts}`;
  const module = (await import(url)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${fn.bundle} exports no handler`);
  return module.handler;
}

let invocation = 0;

/** A Lambda context whose remaining time counts down from the function's timeout. */
export function lambdaContext(fn: SynthesizedFunction): Context {
  invocation += 1;
  const endsAt = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.id,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${fn.id}`,
    memoryLimitInMB: '1024',
    awsRequestId: `request-${invocation}`,
    logGroupName: `/aws/lambda/${fn.id}`,
    logStreamName: `stream-${invocation}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** One CloudWatch embedded-metric-format blob, as Powertools writes it to stdout. */
interface EmfBlob {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

/** The EMF blobs among log lines, in order. */
export function emfBlobs(output: readonly string[]): EmfBlob[] {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfBlob);
}

/**
 * What CloudWatch Logs does with a function's EMF lines: turns them into metric datapoints. Here
 * they go to moto with PutMetricData, so code that reads metrics back reads what the handlers
 * really emitted.
 */
export async function publishEmf(blobs: readonly EmfBlob[], cloudwatch: CloudWatchClient): Promise<void> {
  for (const blob of blobs) {
    for (const directive of blob._aws.CloudWatchMetrics) {
      for (const dimensions of directive.Dimensions) {
        for (const metric of directive.Metrics) {
          const values = [blob[metric.Name]].flat().filter((value) => typeof value === 'number');
          await cloudwatch.send(
            new PutMetricDataCommand({
              Namespace: directive.Namespace,
              MetricData: values.map((value) => ({
                MetricName: metric.Name,
                Dimensions: dimensions.map((name) => ({ Name: name, Value: String(blob[name]) })),
                Timestamp: new Date(blob._aws.Timestamp),
                Value: value,
                ...(metric.Unit ? { Unit: metric.Unit as StandardUnit } : {}),
              })),
            }),
          );
        }
      }
    }
  }
}
