/**
 * The lake in S3. The client is passed in, so the same code runs against AWS and against moto
 * (only the endpoint differs; SDK v3 honours AWS_ENDPOINT_URL). Objects are streamed with
 * lib-storage's multipart Upload: S3 only makes a multipart object visible on Complete, and the
 * Upload is aborted (parts deleted) when the body fails, so a window appears whole or not at all.
 */

import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  checkLakeKey,
  type LakeListOptions,
  type LakeObjectInfo,
  type LakePutOptions,
  type LakeSink,
} from '../core/lake/sink.ts';

export interface S3LakeSinkOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Multipart part size in bytes (S3's minimum, 5 MiB, by default). Memory use is about partSize × queueSize. */
  readonly partSize?: number;
  /** Parts uploaded in parallel (2 by default). */
  readonly queueSize?: number;
}

/** S3 answered "no such key" in one of its several shapes (HEAD has no body, so only the status). */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NoSuchKey' || error.name === 'NotFound') return true;
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404;
}

export class S3LakeSink implements LakeSink {
  readonly location: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3LakeSinkOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 5 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 2;
    this.location = `s3://${options.bucket}`;
  }

  async *list(prefix: string, options: LakeListOptions = {}): AsyncIterable<string> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let continuationToken: string | undefined;
    while (remaining > 0) {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: Math.min(1000, remaining),
          ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          ...(!continuationToken && options.startAfter !== undefined
            ? { StartAfter: options.startAfter }
            : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield object.Key;
        remaining -= 1;
        if (remaining <= 0) return;
      }
      if (!page.IsTruncated || !page.NextContinuationToken) return;
      continuationToken = page.NextContinuationToken;
    }
  }

  async put(key: string, body: Readable | Uint8Array, options: LakePutOptions = {}): Promise<LakeObjectInfo> {
    const params = {
      Bucket: this.bucket,
      Key: checkLakeKey(key),
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
    };
    if (body instanceof Uint8Array) {
      const result = await this.s3.send(new PutObjectCommand({ ...params, Body: body }));
      return { size: body.byteLength, version: result.ETag ?? '' };
    }
    if (body.destroyed) throw body.errored ?? new Error('the body was closed before it was written');
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // A failing body must fail the upload (which then aborts), not end it early as if complete.
    body.once('error', (error) => counted.destroy(error));
    body.once('close', () => {
      if (!body.readableEnded && !counted.destroyed)
        counted.destroy(new Error('the body closed before its end'));
    });
    body.pipe(counted);
    const upload = new Upload({
      client: this.s3,
      params: { ...params, Body: counted },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      const result = await upload.done();
      return { size, version: result.ETag ?? '' };
    } catch (error: unknown) {
      // Upload already aborts the multipart upload on a failed part or body; make sure the body
      // stops too, so the producer does not wait on a consumer that is gone.
      if (!body.destroyed) body.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  async get(key: string): Promise<Readable | null> {
    try {
      const result = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: checkLakeKey(key) }),
      );
      const body = result.Body;
      if (body === undefined) return Readable.from([]);
      return body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as never);
    } catch (error: unknown) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<LakeObjectInfo | null> {
    try {
      const result = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: checkLakeKey(key) }),
      );
      return { size: result.ContentLength ?? 0, version: result.ETag ?? '' };
    } catch (error: unknown) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkLakeKey(key) }));
  }
}
