/**
 * Where the lake's objects live. The writer only needs these five operations, so the same run
 * logic writes to S3 (S3LakeSink, in adapters/s3-lake-sink.ts) or to a local folder (LocalLakeSink, in
 * adapters/local-lake-sink.ts).
 */
import type { Readable } from 'node:stream';

export interface LakeObjectInfo {
  readonly size: number;
  /**
   * Changes whenever the object is replaced (the S3 ETag, a file's inode and mtime), so a writer
   * can tell whether the object is still the one it wrote.
   */
  readonly version: string;
}

export interface LakePutOptions {
  readonly contentType?: string;
  readonly contentEncoding?: string;
}

export interface LakeListOptions {
  /** Only keys that sort strictly after this one (S3 `StartAfter`). */
  readonly startAfter?: string;
  /** Stop after this many keys. */
  readonly limit?: number;
}

export interface LakeSink {
  /** Where the sink writes, for logs and messages: `s3://bucket` or an absolute folder. */
  readonly location: string;
  /** Keys starting with `prefix`, in ascending (S3) order, paged lazily. */
  list(prefix: string, options?: LakeListOptions): AsyncIterable<string>;
  /**
   * Writes an object whole or not at all: if `body` fails, nothing appears and any previous
   * object under the key is left as it was. A later put to the same key replaces it.
   */
  put(key: string, body: Readable | Uint8Array, options?: LakePutOptions): Promise<LakeObjectInfo>;
  /** The object's bytes as stored (still gzip for window objects), or null when absent. */
  get(key: string): Promise<Readable | null>;
  head(key: string): Promise<LakeObjectInfo | null>;
  /** Removes the object; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Days after which a bucket should abort a multipart upload that was never completed (a run killed
 * mid-upload cannot abort its own): the stack's buckets do, and `plan` checks a bucket given by name.
 */
export const INCOMPLETE_UPLOAD_DAYS = 1;

/** A key that a sink refuses: empty, absolute, or climbing out of the lake with `..`. */
export class LakeKeyError extends Error {
  override readonly name = 'LakeKeyError';
}

export function checkLakeKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.endsWith('/')) {
    throw new LakeKeyError(`lake key ${JSON.stringify(key)} must be a relative path to a file`);
  }
  if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new LakeKeyError(`lake key ${JSON.stringify(key)} must not contain empty, "." or ".." segments`);
  }
  return key;
}

/** S3's bucket naming rules: 3-63 characters, no `xn--` prefix, no `..`, no `-s3alias` suffix. */
export const S3_BUCKET_NAME = /^(?!xn--)(?!.*\.\.)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
