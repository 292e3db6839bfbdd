/**
 * The IAM statements of the handlers, written out explicitly instead of `grant*()` calls, which
 * add `bucket/*`-style wildcards. Every resource is one bucket, one secret, one identity, or a
 * `?` pattern that matches only the keys the writer produces.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TIME } from '../lambdas/core/contract.ts';
import { type DatasetDefinition, windowAt } from '../lambdas/core/datasets.ts';
import {
  curateClaimKey,
  curateMarkKey,
  provisionalMarkerKey,
  runLeaseKey,
} from '../lambdas/core/lake/keys.ts';
import { CURATED_TABLES, objectKey } from '../lambdas/core/lake/layout.ts';
import type { RunKind } from '../lambdas/handlers/environment.ts';
import { keyPattern } from './key-patterns.ts';

/** Midnight UTC of the day a start falls in: curated files and curation marks are per day. */
const dayOf = (start: number) => start - (start % TIME.DAY);

/**
 * Key patterns of the objects the lake writer may create: windows, provisional markers, curated
 * days, and curation marks with their claims.
 */
export function lakeKeyPatterns(
  prefix: string,
  datasets: readonly DatasetDefinition[],
): {
  readonly windows: string[];
  readonly markers: string[];
  readonly curated: string[];
  readonly curateMarks: string[];
} {
  const patterns = (keyOf: (dataset: DatasetDefinition, start: number) => string) =>
    datasets.map((dataset) => keyPattern(dataset, (start) => keyOf(dataset, start)));
  return {
    windows: patterns((dataset, start) => objectKey(prefix, windowAt(dataset, start))),
    markers: patterns((dataset, start) => provisionalMarkerKey(prefix, dataset, start)),
    curated: patterns((dataset, start) => CURATED_TABLES.objectKeyAt(prefix, dataset, dayOf(start))),
    // A day's mark, and the claim a run curating the day puts beside it.
    curateMarks: [
      ...patterns((dataset, start) => curateMarkKey(prefix, dataset, dayOf(start))),
      ...patterns((dataset, start) => curateClaimKey(prefix, dataset, dayOf(start))),
    ],
  };
}

/** What the export handlers may do to each kind of lake object, one statement per kind. */
const LAKE_OBJECT_GRANTS: readonly {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly keys: keyof ReturnType<typeof lakeKeyPatterns>;
}[] = [
  {
    sid: 'WriteLakeWindows',
    actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    keys: 'windows',
  },
  { sid: 'TrackProvisionalWindows', actions: ['s3:PutObject', 's3:DeleteObject'], keys: 'markers' },
  { sid: 'WriteCuratedDays', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], keys: 'curated' },
  { sid: 'TrackDaysToCurate', actions: ['s3:PutObject', 's3:DeleteObject'], keys: 'curateMarks' },
];

/** Lets a function list the lake's keys, only below the lake prefix (the report's lake health). */
export function listLakeStatement(bucket: s3.IBucket, prefix: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ListLake',
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
  });
}

/**
 * Lets the export handlers read what the lake holds and write windows and markers:
 * - list the bucket, only below the lake prefix;
 * - write and check window objects (GetObject covers HEAD; AbortMultipartUpload because large
 *   windows are streamed as multipart uploads), only at keys the writer produces;
 * - write and delete provisional markers, only at the marker keys;
 * - write, check and delete curated days (one Parquet file per day, written in a single PUT),
 *   only at the curated keys, and the curation marks that say which days are due;
 * - take, read and give up the run lease of the function's own kind of run, that one key only.
 */
export function lakeStatements(
  bucket: s3.IBucket,
  prefix: string,
  datasets: readonly DatasetDefinition[],
  kind: RunKind,
): iam.PolicyStatement[] {
  const patterns = lakeKeyPatterns(prefix, datasets);
  const objectStatements = LAKE_OBJECT_GRANTS.map(
    ({ sid, actions, keys }) =>
      new iam.PolicyStatement({
        sid,
        actions: [...actions],
        resources: patterns[keys].map((key) => bucket.arnForObjects(key)),
      }),
  );
  return [
    listLakeStatement(bucket, prefix),
    ...objectStatements,
    new iam.PolicyStatement({
      sid: 'HoldRunLease',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [bucket.arnForObjects(runLeaseKey(prefix, kind))],
    }),
  ];
}

/**
 * ARN of a secret given by name. Secrets Manager appends `-` and six random characters to the
 * name, hence the six `?`.
 */
export function secretArnOfName(scope: Construct, secretName: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Read the API token, and nothing else in Secrets Manager. */
export function readSecretStatement(scope: Construct, secretName: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadApiToken',
    actions: ['secretsmanager:GetSecretValue'],
    resources: [secretArnOfName(scope, secretName)],
  });
}

export function sesIdentityArn(scope: Construct, identity: string): string {
  return Stack.of(scope).formatArn({ service: 'ses', resource: 'identity', resourceName: identity });
}

/**
 * Send mail only from the sender address, through the sending identity. The recipients'
 * identities are listed too: while the account is in the SES sandbox, SES also authorizes the
 * call against each (verified) recipient identity.
 */
export function sendReportStatement(
  scope: Construct,
  options: { readonly identity: string; readonly sender: string; readonly recipients: readonly string[] },
): iam.PolicyStatement {
  const identities = [...new Set([options.identity, ...options.recipients])];
  return new iam.PolicyStatement({
    sid: 'SendReport',
    actions: ['ses:SendEmail', 'ses:SendRawEmail'],
    resources: identities.map((identity) => sesIdentityArn(scope, identity)),
    conditions: { StringEquals: { 'ses:FromAddress': options.sender } },
  });
}

/**
 * Read the custom metrics back (the report check asks whether ReportsSent counted a report).
 * GetMetricData has no resource-level permissions and no namespace condition key, so its resource
 * can only be `*`; it reads metrics only, and changes nothing.
 */
export function readMetricsStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadReportMetrics',
    actions: ['cloudwatch:GetMetricData'],
    resources: ['*'],
  });
}
