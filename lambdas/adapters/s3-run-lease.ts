/**
 * A run lease in S3: one small object per kind of run (`<prefix>/_leases/hourly-export`), created
 * with a conditional write, so that at most one run of a kind works on the lake at a time,
 * whichever Lambda instance, async retry or manual invoke starts it.
 *
 * - Taking it: `PutObject` with `If-None-Match: *` succeeds for exactly one caller. A lease that
 *   is there already is held, unless it has expired.
 * - Expiry: the holder writes when it will certainly be gone (a Lambda's timeout), so a run that was
 *   killed without releasing its lease blocks the next runs only until then. An expired lease is
 *   taken over with `PutObject` and `If-Match: <its ETag>`, which again only one caller wins.
 * - Releasing it: `DeleteObject` with `If-Match: <our ETag>`, so a run never deletes a lease that
 *   someone else has taken over since.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { errorText } from '../core/error-text.ts';
import { checkLakeKey } from '../core/lake/sink.ts';
import { isNotFound } from './s3-lake-sink.ts';

export interface RunLeaseRecord {
  /** Who holds it, for messages: the function and request id of a Lambda run. */
  readonly holder: string;
  /** Epoch ms when it was taken. */
  readonly acquiredAt: number;
  /** Epoch ms after which its holder is certainly gone, and the lease may be taken over. */
  readonly expiresAt: number;
}

export type RunLeaseOutcome =
  | {
      readonly acquired: true;
      /** The expired lease of a run that ended without releasing it, when this one replaced it. */
      readonly tookOver: RunLeaseRecord | null;
      /** Gives the lease up; a lease someone else has taken over meanwhile is left alone. */
      release(): Promise<void>;
    }
  | { readonly acquired: false; readonly heldBy: RunLeaseRecord };

/** S3 failed while the lease was taken or given up (not: the lease is held by another run). */
export class RunLeaseError extends Error {
  override readonly name = 'RunLeaseError';
}

export interface S3RunLeaseOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The lease object's key, `runLeaseKey(prefix, kind)`. */
  readonly key: string;
  /** Date.now by default. */
  readonly clock?: () => number;
}

/** Tries at taking the lease while it changes hands under us (released, or taken over first). */
const ACQUIRE_ATTEMPTS = 3;

/** What an unreadable lease object (not written by this code) is reported as when replaced. */
const UNREADABLE_LEASE: RunLeaseRecord = {
  holder: 'an unreadable lease object',
  acquiredAt: 0,
  expiresAt: 0,
};

/**
 * The condition of a conditional request did not hold: 412 Precondition Failed, or 409 when S3
 * saw a concurrent conditional write to the same key (the other writer wins).
 */
export function conditionFailed(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = error.$metadata.httpStatusCode;
  return (
    status === 412 ||
    status === 409 ||
    error.name === 'PreconditionFailed' ||
    error.name === 'ConditionalRequestConflict'
  );
}

function parseRecord(text: string): RunLeaseRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  const { holder, acquiredAt, expiresAt } = (value ?? {}) as Record<string, unknown>;
  if (typeof holder !== 'string' || !Number.isSafeInteger(acquiredAt) || !Number.isSafeInteger(expiresAt))
    return null;
  return { holder, acquiredAt: acquiredAt as number, expiresAt: expiresAt as number };
}

export class S3RunLease {
  /** `s3://bucket/key`, for messages. */
  readonly location: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly key: string;
  private readonly clock: () => number;

  constructor(options: S3RunLeaseOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
    this.key = checkLakeKey(options.key);
    this.clock = options.clock ?? Date.now;
    this.location = `s3://${options.bucket}/${options.key}`;
  }

  /** Takes the lease for `holder` until `expiresAt`, unless another run holds it. */
  async acquire(holder: string, expiresAt: number): Promise<RunLeaseOutcome> {
    const record: RunLeaseRecord = { holder, acquiredAt: this.clock(), expiresAt };
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
      const created = await this.write(record, { IfNoneMatch: '*' });
      if (created !== null) return this.held(created, null);
      const current = await this.read();
      // Released between our write and our read: try to take it again.
      if (current === null) continue;
      if (current.record !== null && current.record.expiresAt > this.clock()) {
        return { acquired: false, heldBy: current.record };
      }
      const replaced = await this.write(record, { IfMatch: current.etag });
      if (replaced !== null) return this.held(replaced, current.record ?? UNREADABLE_LEASE);
      // Another run replaced the expired lease first: look at who holds it now.
    }
    throw new RunLeaseError(
      `the run lease ${this.location} changed hands ${ACQUIRE_ATTEMPTS} times while this run tried to take it; try again`,
    );
  }

  private held(etag: string, tookOver: RunLeaseRecord | null): RunLeaseOutcome {
    return { acquired: true, tookOver, release: () => this.release(etag) };
  }

  /** The new object's ETag, or null when the condition did not hold. */
  private async write(
    record: RunLeaseRecord,
    condition: { readonly IfNoneMatch: '*' } | { readonly IfMatch: string },
  ): Promise<string | null> {
    try {
      const result = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: JSON.stringify(record),
          ContentType: 'application/json',
          ...condition,
        }),
      );
      if (!result.ETag) throw new RunLeaseError(`S3 returned no ETag for the run lease ${this.location}`);
      return result.ETag;
    } catch (error: unknown) {
      if (conditionFailed(error)) return null;
      if (error instanceof RunLeaseError) throw error;
      throw new RunLeaseError(`could not write the run lease ${this.location}: ${errorText(error)}`, {
        cause: error,
      });
    }
  }

  private async read(): Promise<{ etag: string; record: RunLeaseRecord | null } | null> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const text = (await result.Body?.transformToString('utf8')) ?? '';
      return { etag: result.ETag ?? '', record: parseRecord(text) };
    } catch (error: unknown) {
      if (isNotFound(error)) return null;
      throw new RunLeaseError(`could not read the run lease ${this.location}: ${errorText(error)}`, {
        cause: error,
      });
    }
  }

  private async release(etag: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key, IfMatch: etag }));
    } catch (error: unknown) {
      // Taken over after it expired, or already gone: either way it is no longer ours to delete.
      if (conditionFailed(error) || isNotFound(error)) return;
      throw new RunLeaseError(`could not release the run lease ${this.location}: ${errorText(error)}`, {
        cause: error,
      });
    }
  }
}
