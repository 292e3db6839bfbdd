/**
 * A function that writes lake windows: the hourly export, the daily export or the backfill. It
 * gets the export settings with its own datasets only, may read the API token, and may write only
 * the keys of its datasets and hold only the run lease of its kind of run (see `permissions.ts`).
 */
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { SettingName, Settings } from '../lambdas/core/config.ts';
import { SettingsError } from '../lambdas/core/settings/errors.ts';
import { lambdaEnvironment } from '../lambdas/core/settings/lambda-environment.ts';
import {
  BACKFILL_EXPORT_SETTINGS,
  RUN_KIND,
  type RunKind,
  SCHEDULED_EXPORT_SETTINGS,
} from '../lambdas/handlers/environment.ts';
import { RUN_TIMEOUT } from './defaults.ts';
import { lakeStatements, readSecretStatement } from './permissions.ts';
import { ReporterFunction } from './reporter-function.ts';

/** Bytes of settings per function: Lambda's 4 KB, less what Powertools and the runtime options take. */
export const LAMBDA_ENVIRONMENT_BUDGET = 3600;

/**
 * The handler of each kind of export run, what the console says it is, how long it may run, and
 * the settings it reads (the scheduled ones pace their requests, so they read the budget too).
 */
const EXPORT_RUNS = {
  [RUN_KIND.hourlyExport]: {
    entry: 'lambdas/handlers/hourly-export.ts',
    description: 'peer5-reporter hourly export',
    timeout: RUN_TIMEOUT.hourlyExport,
    settings: SCHEDULED_EXPORT_SETTINGS,
  },
  [RUN_KIND.dailyExport]: {
    entry: 'lambdas/handlers/daily-export.ts',
    description: 'peer5-reporter daily export',
    timeout: RUN_TIMEOUT.dailyExport,
    settings: SCHEDULED_EXPORT_SETTINGS,
  },
  [RUN_KIND.backfill]: {
    entry: 'lambdas/handlers/backfill.ts',
    description: 'peer5-reporter backfill of a past range',
    timeout: RUN_TIMEOUT.backfill,
    settings: BACKFILL_EXPORT_SETTINGS,
  },
} as const satisfies Record<RunKind, object>;

/** The export settings of `datasets`, failing the synth when they would not fit in Lambda's 4 KB. */
function exportEnvironment(
  names: readonly SettingName[],
  settings: Settings,
  datasets: Settings['datasets'],
  bucket: s3.IBucket,
): Record<string, string> {
  const environment = lambdaEnvironment({ ...settings, datasets, bucketName: bucket.bucketName }, names);
  const size = Object.entries(environment).reduce(
    (sum, [name, value]) => sum + name.length + value.length,
    0,
  );
  // Lambda refuses more than 4 KB of environment; say so at synth, not halfway through a deploy.
  if (size > LAMBDA_ENVIRONMENT_BUDGET) {
    throw new SettingsError([
      {
        setting: 'datasets',
        message: `${datasets.length} datasets take ${size} bytes of Lambda environment; at most ${LAMBDA_ENVIRONMENT_BUDGET} fit (the limit is 4 KB). Define fewer datasets or shorter names.`,
      },
    ]);
  }
  return environment;
}

export interface ExportFunctionProps {
  /** Which run it makes: picks the handler, the timeout (`RUN_TIMEOUT`) and the run lease it may hold. */
  readonly kind: RunKind;
  /** Validated settings; the function gets those its handler reads (`EXPORT_RUNS`). */
  readonly settings: Settings;
  /** The datasets it exports: its environment and its lake statements name these and no other. */
  readonly datasets: Settings['datasets'];
  /** The bucket the lake is written to, under the settings' prefix. */
  readonly bucket: s3.IBucket;
  /** Failed async invocations (after Lambda's retries) are sent here. */
  readonly failureQueue: sqs.IQueue;
}

export class ExportFunction extends ReporterFunction {
  public readonly kind: RunKind;
  public readonly datasets: Settings['datasets'];

  constructor(scope: Construct, id: string, props: ExportFunctionProps) {
    const run = EXPORT_RUNS[props.kind];
    super(scope, id, {
      entry: run.entry,
      description: run.description,
      timeout: run.timeout,
      environment: exportEnvironment(run.settings, props.settings, props.datasets, props.bucket),
      statements: [
        readSecretStatement(scope, props.settings.secretName),
        ...lakeStatements(props.bucket, props.settings.prefix, props.datasets, props.kind),
      ],
      failureQueue: props.failureQueue,
    });
    this.kind = props.kind;
    this.datasets = props.datasets;
  }
}
