/**
 * The bundled `Backfill` handler's peak RSS at 1M and 4M rows: the bundle `cdk synth` builds, run
 * in a process of its own (`invocation`) with the environment the template gives it, its
 * token in Secrets Manager and its lake in S3, both on moto, against the simulator. The same
 * dataset and sizes as the export bench, placed within the API's look-back of the real clock,
 * since a deployed function plans from the real time.
 *
 * The handler also curates each finished day after its run, as deployed, so its peak includes
 * sorting a day in memory; the CLI's figure in the main table runs with --no-curate.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TIME } from '../lambdas/core/contract.ts';
import { startSimulator } from '../simulator/index.ts';
import { resolveEnvironment, synthesizeWithBundles } from '../test/handlers/deployment.ts';
import { startMoto } from '../test/support/moto.ts';
import { measureNode } from './process.ts';
import { BENCH_DATASET_SETTING, BENCH_TOKEN } from './settings.ts';

/**
 * The child's program: imports the bundle with the template's environment already in process.env
 * (module-scope code reads it at import, as at a cold start), invokes it once with a Lambda-like
 * context, and writes the result to `resultFile` (stdout is the handler's log).
 */
function invocation(bundle: string, event: unknown, resultFile: string, timeoutSeconds: number): string {
  return `
import { writeFileSync } from 'node:fs';
const { handler } = await import("${pathToFileURL(bundle).href}");
const endsAt = Date.now() + ${timeoutSeconds * 1000};
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'Backfill',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Backfill',
  memoryLimitInMB: '1024',
  awsRequestId: 'bench-1',
  logGroupName: '/aws/lambda/Backfill',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
writeFileSync(${JSON.stringify(resultFile)}, JSON.stringify(await handler(${JSON.stringify(event)}, context)));
// Lambda freezes the process once the handler returns; the clients' kept-alive sockets would keep
// this one running. Exiting also runs the peak-RSS preload's exit hook.
process.exit(0);
`;
}
const SECRET_NAME = 'peer5-reporter/api-token';
const BUCKET = 'bench-handler-lake';

export interface HandlerRssCase {
  readonly size: string;
  readonly hours: number;
}

export async function benchHandlerRss(cases: readonly HandlerRssCase[], segments: number): Promise<string> {
  // Frozen at the bench's start: the simulator and the function agree on which buckets are final.
  const now = Date.now();
  const [moto, simulator] = await Promise.all([
    startMoto(),
    startSimulator({ now, segments, seed: 1, tokens: [BENCH_TOKEN] }),
  ]);
  const synthesized = synthesizeWithBundles({
    sender: 'reports@example.com',
    recipients: 'ops@example.com',
    apiBaseUrl: simulator.url,
    datasets: JSON.stringify([BENCH_DATASET_SETTING]),
    // Paced to its share of this limit, the backfill would wait; the highest limit keeps the pace
    // out of a memory figure.
    apiRequestsPerMinute: 100_000,
  });
  const work = await mkdtemp(join(tmpdir(), 'peer5-bench-handler-'));
  try {
    const s3 = new S3Client(moto.clientConfig);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    const secrets = new SecretsManagerClient(moto.clientConfig);
    await secrets.send(new CreateSecretCommand({ Name: SECRET_NAME, SecretString: BENCH_TOKEN }));
    secrets.destroy();
    const fn = synthesized.functions.get('Backfill');
    if (fn === undefined) throw new Error('the stack has no Backfill function');
    const environment = {
      ...resolveEnvironment(fn.environment, { [synthesized.lakeBucketLogicalId]: BUCKET }),
      ...moto.environment,
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
    };
    // Five days back: the 1-minute interval's look-back is 7 days, and 3.5 days must fit.
    const from = Math.floor(now / TIME.DAY) * TIME.DAY - 5 * TIME.DAY;
    const lines = [
      '',
      `Bundled Backfill handler (the bundle cdk synth builds, in its own process; S3 and Secrets Manager on moto):`,
    ];
    for (const { size, hours } of cases) {
      const resultFile = join(work, `result-${hours}.json`);
      const event = {
        from: new Date(from).toISOString(),
        to: new Date(from + hours * TIME.HOUR).toISOString(),
        datasets: [BENCH_DATASET_SETTING.name],
        force: true,
      };
      const program = invocation(fn.bundle, event, resultFile, fn.timeoutSeconds);
      const measured = await measureNode(['--input-type=module', '-e', program], { env: environment });
      const result = JSON.parse(await readFile(resultFile, 'utf8')) as Record<string, unknown>;
      const count = (field: string) =>
        typeof result[field] === 'number' ? result[field].toLocaleString('en-US') : '?';
      lines.push(
        `  ${size}: ${count('rows')} rows, ${count('curatedDaysWritten')} days curated, ${measured.seconds.toFixed(1)} s, peak RSS ${measured.peakRssMb.toFixed(0)} MB`,
      );
    }
    return lines.join('\n');
  } finally {
    synthesized.remove();
    await rm(work, { recursive: true, force: true });
    await simulator.close();
    await moto.stop();
  }
}
