/**
 * The buckets: private, encrypted and TLS-only, and the lake's versioning, retention and access logs.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_DAYS } from '../../lambdas/core/settings/fields.ts';
import {
  byType,
  defaultStack,
  flatten,
  logicalId,
  type Resource,
  type Statement,
  synthesized,
} from './synth.ts';

describe('the storage of the stack with every default dataset and a new bucket', () => {
  const { resources, lakeBucketId } = defaultStack();

  it('keeps every bucket private, encrypted and TLS-only', () => {
    const buckets = byType(resources, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(
        bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
      ).toEqual({ SSEAlgorithm: 'AES256' });
      const policy = byType(resources, 'AWS::S3::BucketPolicy').find(
        ([, candidate]) => flatten(candidate.Properties.Bucket) === `<${id}>`,
      );
      const statements = policy?.[1].Properties.PolicyDocument.Statement as Statement[];
      expect(
        statements.some(
          (statement) =>
            statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      ).toBe(true);
    }
  });

  it('versions the lake, expires it after the retention, aborts stale uploads and logs access', () => {
    const lake = resources[lakeBucketId] as Resource;
    const logsId = logicalId(resources, 'AWS::S3::Bucket', 'LakeAccessLogs');
    expect(lake.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(lake.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'lake-retention', Prefix: 'peer5/', ExpirationInDays: 400, Status: 'Enabled' },
      {
        Id: 'abort-incomplete-uploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      },
      {
        Id: 'expire-old-versions',
        ExpiredObjectDeleteMarker: true,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        Status: 'Enabled',
      },
    ]);
    expect(lake.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'lake/',
    });
  });
});

describe('the stack with the default retention', () => {
  it('expires lake objects after the default of the retentionDays setting', () => {
    const { resources } = synthesized({ sender: 'reports@example.com', recipients: 'ops@example.com' });
    const lake = resources[logicalId(resources, 'AWS::S3::Bucket', 'LakeBucket')] as Resource;
    expect(lake.Properties.LifecycleConfiguration.Rules[0]).toEqual({
      Id: 'lake-retention',
      Prefix: 'peer5/',
      ExpirationInDays: DEFAULT_RETENTION_DAYS,
      Status: 'Enabled',
    });
    expect(DEFAULT_RETENTION_DAYS).toBe(730);
  });
});
