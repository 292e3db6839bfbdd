/**
 * Where the lake lives: a new private bucket with lifecycle rules and access logs, or a bucket
 * the customer already has (imported, never modified). Either way the stack also gets a bucket
 * for server access logs, which the query-results bucket uses too.
 */
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_RETENTION_DAYS } from '../lambdas/core/settings/fields.ts';
import {
  ACCESS_LOGS_EXPIRATION,
  INCOMPLETE_UPLOAD_EXPIRATION,
  NONCURRENT_VERSION_EXPIRATION,
  SECURE_BUCKET_PROPS,
} from './defaults.ts';

export interface LakeStorageProps {
  /** Key prefix of the lake; the lifecycle rules of a new bucket apply below it. */
  readonly prefix: string;
  /**
   * A bucket to write the lake into. Its settings (lifecycle, versioning, logging, encryption)
   * stay as they are: the stack does not manage an imported bucket.
   * @default - a new bucket with the secure defaults
   */
  readonly bucket?: s3.IBucket;
  /**
   * Days before a lake object expires (new bucket only).
   * @default DEFAULT_RETENTION_DAYS (730)
   */
  readonly retentionDays?: number;
  /**
   * How long a replaced version of an object is kept (new bucket only).
   * @default NONCURRENT_VERSION_EXPIRATION (30 days)
   */
  readonly noncurrentVersionExpiration?: Duration;
}

export class LakeStorage extends Construct {
  /** The bucket the lake is written to. */
  public readonly bucket: s3.IBucket;
  /** The bucket created by this construct, or undefined when an existing bucket was given. */
  public readonly createdBucket: s3.Bucket | undefined;
  /** Receives server access logs of every bucket the stack creates. */
  public readonly accessLogsBucket: s3.Bucket;
  public readonly prefix: string;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    this.prefix = props.prefix;
    const retention = Duration.days(props.retentionDays ?? DEFAULT_RETENTION_DAYS);
    const noncurrent = props.noncurrentVersionExpiration ?? NONCURRENT_VERSION_EXPIRATION;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...SECURE_BUCKET_PROPS,
      // Logs are written once and never replaced; versions would only add cost.
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: ACCESS_LOGS_EXPIRATION,
          abortIncompleteMultipartUploadAfter: INCOMPLETE_UPLOAD_EXPIRATION,
        },
      ],
    });

    if (props.bucket) {
      this.bucket = props.bucket;
      this.createdBucket = undefined;
      return;
    }

    this.createdBucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_PROPS,
      // A re-run rewrites a window under the same key; versions keep the previous copy
      // recoverable for a while after an overwrite or an accidental delete.
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'lake-retention',
          prefix: `${props.prefix}/`,
          expiration: retention,
        },
        {
          id: 'abort-incomplete-uploads',
          abortIncompleteMultipartUploadAfter: INCOMPLETE_UPLOAD_EXPIRATION,
        },
        {
          id: 'expire-old-versions',
          expiredObjectDeleteMarker: true,
          noncurrentVersionExpiration: noncurrent,
        },
      ],
    });
    this.bucket = this.createdBucket;
  }
}
