/**
 * Secure defaults, in one place: every bucket, queue, topic and function of the stack starts from
 * these, so a reviewer reads the security posture here rather than construct by construct.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { INCOMPLETE_UPLOAD_DAYS } from '../lambdas/core/lake/sink.ts';
import { DEFAULT_DEADLINE_MARGIN_MS } from '../lambdas/handlers/environment.ts';

/** The repository root: the esbuild project root and where the lock file lives. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The newest Node.js runtime aws-cdk-lib knows; arm64 is cheaper per GB-second. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/** `nodejs24.x` -> `node24`: the esbuild target always matches the runtime. */
export function esbuildTargetOf(runtime: lambda.Runtime): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
  if (!match) throw new RangeError(`${runtime.name} is not a Node.js runtime`);
  return `node${match[1]}`;
}

export const LAMBDA_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** What a function gets unless its construct says otherwise (the report check needs less memory). */
export const FUNCTION_MEMORY_MB = 1024;
export const FUNCTION_TIMEOUT = Duration.minutes(5);
export const REPORT_CHECK_MEMORY_MB = 256;

/**
 * How long each function may run. An hourly export stops long before the next one is due (what
 * it deferred, a later run catches up); the daily export and the backfill take Lambda's maximum of
 * 15 minutes (a backfill that needs more says `invokeAgain`); the report reads one day and sends
 * one email; the check reads one metric back.
 */
export const RUN_TIMEOUT = {
  hourlyExport: Duration.minutes(10),
  dailyExport: Duration.minutes(15),
  backfill: Duration.minutes(15),
  dailyReport: Duration.minutes(5),
  reportCheck: Duration.minutes(1),
  offloadWatch: Duration.minutes(2),
} as const;

/** The watch reads 8 hours of a few hourly windows: far less than an export. */
export const WATCH_MEMORY_MB = 512;

/** How long before its timeout a handler stops starting new work and returns cleanly. */
export const HANDLER_DEADLINE_MARGIN = Duration.millis(DEFAULT_DEADLINE_MARGIN_MS);

/** Query results are scratch data: kept long enough to download, then expired. */
export const QUERY_RESULTS_EXPIRATION = Duration.days(30);
/** Server access logs are kept a year for audits. */
export const ACCESS_LOGS_EXPIRATION = Duration.days(365);
/** Overwritten lake objects (a window written again) stay recoverable this long. */
export const NONCURRENT_VERSION_EXPIRATION = Duration.days(30);
/** Multipart uploads left by a killed run are aborted after this (the plan command checks a bucket given by name). */
export const INCOMPLETE_UPLOAD_EXPIRATION = Duration.days(INCOMPLETE_UPLOAD_DAYS);

/**
 * Properties every bucket of the stack shares: private, encrypted, TLS only, owner-enforced.
 * SSE-S3 rather than KMS because S3 server access logs cannot be delivered to a KMS-encrypted
 * bucket and Athena reads SSE-S3 objects without extra key grants.
 */
export const SECURE_BUCKET_PROPS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;

export const SECURE_QUEUE_PROPS = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.days(14),
} as const satisfies sqs.QueueProps;

export const SECURE_TOPIC_PROPS = {
  enforceSSL: true,
} as const satisfies sns.TopicProps;

/**
 * The insights topic is encrypted at rest with the AWS managed key for SNS: no key to pay for or
 * manage, and its publisher (the watch) and its subscribers all go through SNS, which that key
 * allows. (The alarm topic is not: CloudWatch alarms cannot publish to a topic under this key.)
 */
export const INSIGHTS_TOPIC_KEY_ALIAS = 'alias/aws/sns';

/** Scheduler retries only failed deliveries (throttling, service errors), not function errors. */
export const SCHEDULE_RETRY_ATTEMPTS = 5;

/**
 * How long Scheduler keeps trying to deliver a schedule's event before it sends it to the failure
 * queue. An hourly export or a report check delivered more than an hour late has been overtaken
 * (by the next export, or by the alarm it was meant to feed); a daily export or report is still
 * worth running six hours late.
 */
export const SCHEDULE_MAX_EVENT_AGE = {
  hourlyExport: Duration.hours(1),
  dailyExport: Duration.hours(6),
  dailyReport: Duration.hours(6),
  reportCheck: Duration.hours(1),
  offloadWatch: Duration.hours(1),
} as const;
/** What a schedule gets unless it says otherwise. */
export const DEFAULT_SCHEDULE_MAX_EVENT_AGE = Duration.hours(1);

/** A failed run is retried once by Lambda's async invocation, then sent to the failure queue. */
export const ASYNC_RETRY_ATTEMPTS = 1;
/** Async invocations older than this (throttled, or waiting for a retry) go to the failure queue unrun. */
export const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/**
 * Period of the alarms on single events (a failed invocation, a message in the failure queue, a
 * late report): short, so they fire within minutes.
 */
export const EVENT_ALARM_PERIOD = Duration.minutes(5);
/** Runs keep reporting a gap for a day; an hour per datapoint is fine-grained enough. */
export const GAP_ALARM_PERIOD = Duration.hours(1);

/**
 * Scheduled runs in a row that deferred windows before the "can no longer keep up" alarm fires:
 * three hours for the hourly export (a first catch-up that spills into one more run is normal),
 * two days for the daily one.
 */
export const DEFERRING_RUNS_ALARM = { hourly: 3, daily: 2 } as const;
