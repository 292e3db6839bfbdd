import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incompleteUploadWarning } from '../../lambdas/adapters/s3-lifecycle.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';

let moto: RunningMoto;
let s3: S3Client;
let buckets = 0;

const ABORT_AFTER_A_DAY = { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } };

/** A new bucket in moto with the given lifecycle rules (none: no lifecycle configuration). */
async function bucketWith(rules: LifecycleRule[] | null): Promise<string> {
  buckets += 1;
  const bucket = `lifecycle-test-${buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (rules) {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: rules },
      }),
    );
  }
  return bucket;
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.clientConfig);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('the check that a bucket aborts incomplete multipart uploads', () => {
  it('says so, with the command that adds the rule, when the bucket has no lifecycle configuration', async () => {
    const bucket = await bucketWith(null);
    const warning = await incompleteUploadWarning(s3, bucket, 'peer5');
    expect(warning).toContain(`bucket ${bucket} has no lifecycle configuration`);
    expect(warning).toContain(`s3://${bucket}/peer5/`);
    expect(warning).toContain(
      `aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} --lifecycle-configuration '{"Rules":[{"ID":"abort-incomplete-uploads","Status":"Enabled","Filter":{"Prefix":"peer5/"},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1}}]}'`,
    );
  });

  it('is content with a rule for the whole bucket or for a prefix of the lake', async () => {
    const whole = await bucketWith([{ ID: 'all', Status: 'Enabled', Filter: {}, ...ABORT_AFTER_A_DAY }]);
    expect(await incompleteUploadWarning(s3, whole, 'peer5')).toBeNull();
    const analytics = await bucketWith([
      { ID: 'analytics', Status: 'Enabled', Filter: { Prefix: 'analytics/' }, ...ABORT_AFTER_A_DAY },
    ]);
    expect(await incompleteUploadWarning(s3, analytics, 'analytics/peer5')).toBeNull();
  });

  it('warns when the only rules cover another prefix, are disabled, or only expire objects', async () => {
    const bucket = await bucketWith([
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, ...ABORT_AFTER_A_DAY },
      { ID: 'paused', Status: 'Disabled', Filter: { Prefix: '' }, ...ABORT_AFTER_A_DAY },
      { ID: 'expire', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 30 } },
    ]);
    const warning = await incompleteUploadWarning(s3, bucket, 'peer5');
    expect(warning).toContain(
      `no enabled lifecycle rule of bucket ${bucket} aborts incomplete multipart uploads under s3://${bucket}/peer5/`,
    );
    expect(warning).toContain('if it has rules, add this one to them');
  });

  it('names a bucket that does not exist instead of failing', async () => {
    expect(await incompleteUploadWarning(s3, 'no-such-lifecycle-bucket', 'peer5')).toBe(
      'bucket no-such-lifecycle-bucket does not exist, or is not visible to these credentials.',
    );
  });
});

describe('the check with credentials that may not read the lifecycle configuration', () => {
  let server: Server;
  let denied: S3Client;

  beforeAll(async () => {
    // An S3 endpoint that answers every request as S3 does to a role without the permission.
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(403, { 'Content-Type': 'application/xml' });
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>User is not authorized to perform: s3:GetLifecycleConfiguration</Message><RequestId>1</RequestId></Error>',
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    denied = new S3Client({ ...moto.clientConfig, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
  });

  afterAll(async () => {
    denied?.destroy();
    server?.close();
  });

  it('warns clearly, naming the permission and where to look, instead of failing', async () => {
    const warning = await incompleteUploadWarning(denied, 'acme-data-lake', 'peer5');
    expect(warning).toContain(
      'could not check that bucket acme-data-lake aborts incomplete multipart uploads: these credentials may not call s3:GetLifecycleConfiguration',
    );
    expect(warning).toContain('Lifecycle rules');
  });
});
