import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LakeSink } from '../../lambdas/adapters/s3-lake-sink.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';

let moto: RunningMoto;
let s3: S3Client;
let sink: S3LakeSink;
const bucket = 'lake-sink-test';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  sink = new S3LakeSink({ s3, bucket });
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

async function listAll(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(prefix, options)) keys.push(key);
  return keys;
}

async function openUploads(): Promise<number> {
  const result = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return result.Uploads?.length ?? 0;
}

describe('S3LakeSink against moto', () => {
  it('streams an object with its content type and encoding, then reads, describes and deletes it', async () => {
    const info = await sink.put('p/t/a.csv.gz', Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), {
      contentType: 'text/csv; charset=utf-8',
      contentEncoding: 'gzip',
    });
    expect(info.size).toBe(8);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'p/t/a.csv.gz' }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
    expect(head.ContentEncoding).toBe('gzip');
    const body = await sink.get('p/t/a.csv.gz');
    expect(body && (await text(body))).toBe('a,b\n1,2\n');
    expect(await sink.head('p/t/a.csv.gz')).toEqual(info);
    await sink.delete('p/t/a.csv.gz');
    expect(await sink.get('p/t/a.csv.gz')).toBeNull();
    expect(await sink.head('p/t/a.csv.gz')).toBeNull();
  });

  it('lists with StartAfter and a limit, across pages', async () => {
    const keys = Array.from(
      { length: 25 },
      (_, i) => `list/t/dt=2024-01-${String(i + 1).padStart(2, '0')}/x`,
    );
    await Promise.all(keys.map((key) => sink.put(key, new Uint8Array(0))));
    expect(await listAll('list/t/')).toEqual(keys);
    expect(await listAll('list/t/', { startAfter: keys[19] })).toEqual(keys.slice(20));
    expect(await listAll('list/t/', { limit: 3 })).toEqual(keys.slice(0, 3));
  });

  it('leaves the previous object when a small body fails', async () => {
    await sink.put('fail/small', Buffer.from('old'));
    const body = new PassThrough();
    const writing = sink.put('fail/small', body);
    body.write('partial');
    setTimeout(() => body.destroy(new Error('source broke')), 20);
    await expect(writing).rejects.toThrow('source broke');
    const stored = await sink.get('fail/small');
    expect(stored && (await text(stored))).toBe('old');
  });

  it('stores nothing when the body fails before its first byte', async () => {
    const body = new PassThrough();
    const writing = sink.put('fail/at-once', body);
    body.destroy(new Error('nothing to send'));
    await expect(writing).rejects.toThrow('nothing to send');
    const failedEarlier = new PassThrough().on('error', () => undefined);
    failedEarlier.destroy(new Error('already broken'));
    await expect(sink.put('fail/at-once', failedEarlier)).rejects.toThrow('already broken');
    expect(await sink.head('fail/at-once')).toBeNull();
  });

  it('aborts a multipart upload when the body fails after several parts, leaving no object and no parts', async () => {
    const body = new PassThrough();
    const writing = sink.put('fail/large', body);
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < 12; i++) {
      if (!body.write(chunk)) await new Promise((resolve) => body.once('drain', resolve));
    }
    body.destroy(new Error('source broke after 12 MiB'));
    await expect(writing).rejects.toThrow('source broke after 12 MiB');
    expect(await sink.head('fail/large')).toBeNull();
    expect(await openUploads()).toBe(0);
  });

  it('stores a multipart object whole', async () => {
    const data = randomBytes(11 * 1024 * 1024);
    const info = await sink.put('ok/large', Readable.from([data.subarray(0, 6e6), data.subarray(6e6)]));
    expect(info.size).toBe(data.length);
    const stored = await sink.get('ok/large');
    expect(stored && (await buffer(stored)).equals(data)).toBe(true);
  });
});
