import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunLeaseError, S3RunLease } from '../../lambdas/adapters/s3-run-lease.ts';
import { runLeaseKey } from '../../lambdas/core/lake/keys.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';

let moto: RunningMoto;
let s3: S3Client;
const bucket = 'lake-lease-test';
let now = Date.UTC(2024, 4, 10, 12);
let keys = 0;

/** A lease on a key of its own, on a clock the test moves. */
function freshLease(): S3RunLease {
  keys += 1;
  return new S3RunLease({ s3, bucket, key: runLeaseKey('peer5', `kind-${keys}`), clock: () => now });
}

async function holderOf(lease: S3RunLease): Promise<string | null> {
  const key = lease.location.slice(`s3://${bucket}/`.length);
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (JSON.parse((await result.Body?.transformToString()) ?? '{}') as { holder: string }).holder;
  } catch {
    return null;
  }
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('a run lease in S3', () => {
  it('lives beside the tables, under the lake prefix', () => {
    expect(runLeaseKey('peer5', 'hourly-export')).toBe('peer5/_leases/hourly-export');
    expect(runLeaseKey('', 'backfill')).toBe('_leases/backfill');
  });

  it('is taken by one run, and a second one sees who holds it and until when', async () => {
    const lease = freshLease();
    const first = await lease.acquire('run A', now + 60_000);
    expect(first).toMatchObject({ acquired: true, tookOver: null });
    const second = await lease.acquire('run B', now + 60_000);
    expect(second).toEqual({
      acquired: false,
      heldBy: { holder: 'run A', acquiredAt: now, expiresAt: now + 60_000 },
    });
  });

  it('is free again once released', async () => {
    const lease = freshLease();
    const first = await lease.acquire('run A', now + 60_000);
    if (!first.acquired) throw new Error('not acquired');
    await first.release();
    expect(await holderOf(lease)).toBeNull();
    expect(await lease.acquire('run B', now + 60_000)).toMatchObject({ acquired: true, tookOver: null });
  });

  it('is taken over once its holder has expired, and the old holder cannot release the new lease', async () => {
    const lease = freshLease();
    const killed = await lease.acquire('run A', now + 60_000);
    if (!killed.acquired) throw new Error('not acquired');
    now += 61_000;
    const next = await lease.acquire('run B', now + 60_000);
    expect(next).toMatchObject({ acquired: true, tookOver: { holder: 'run A' } });
    // Run A comes back late and releases: the lease is B's now, and stays.
    await killed.release();
    expect(await holderOf(lease)).toBe('run B');
  });

  it('replaces an object it cannot read, as if it had expired', async () => {
    const lease = freshLease();
    const key = lease.location.slice(`s3://${bucket}/`.length);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'not a lease' }));
    expect(await lease.acquire('run A', now + 60_000)).toMatchObject({
      acquired: true,
      tookOver: { holder: 'an unreadable lease object' },
    });
  });

  it('fails with RunLeaseError, naming the lease, when S3 refuses the write', async () => {
    const lease = new S3RunLease({
      s3,
      bucket: 'no-such-bucket-here',
      key: runLeaseKey('peer5', 'backfill'),
    });
    const attempt = lease.acquire('run A', now + 60_000);
    await expect(attempt).rejects.toBeInstanceOf(RunLeaseError);
    await expect(attempt).rejects.toThrow(
      /could not write the run lease s3:\/\/no-such-bucket-here\/peer5\/_leases\/backfill: NoSuchBucket/,
    );
  });
});
