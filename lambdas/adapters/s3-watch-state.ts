/**
 * The offload watch's incident state in S3 (`<prefix>/_watch/offload-watch.json`, beside the
 * tables), replaced only by conditional writes: `If-None-Match: *` for the first state and
 * `If-Match: <the ETag read>` after it, so of two overlapping runs exactly one moves the state on
 * and the other reads the winner's (see insights/watch-run.ts).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorText } from '../core/error-text.ts';
import {
  INITIAL_WATCH_STATE,
  parseWatchState,
  serializeWatchState,
  type WatchState,
} from '../core/insights/incident.ts';
import type { StoredWatchState, WatchStateStore } from '../core/insights/watch-run.ts';
import { checkLakeKey } from '../core/lake/sink.ts';
import { isNotFound } from './s3-lake-sink.ts';
import { conditionFailed } from './s3-run-lease.ts';

/** S3 failed while the state was read or written (not: another run wrote first). */
export class WatchStateStoreError extends Error {
  override readonly name = 'WatchStateStoreError';
}

export interface S3WatchStateOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** `watchStateKey(prefix)`. */
  readonly key: string;
}

export class S3WatchState implements WatchStateStore {
  readonly location: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly key: string;

  constructor(options: S3WatchStateOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
    this.key = checkLakeKey(options.key);
    this.location = `s3://${options.bucket}/${options.key}`;
  }

  async read(): Promise<StoredWatchState> {
    let text: string;
    let etag: string | undefined;
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      text = (await result.Body?.transformToString('utf8')) ?? '';
      etag = result.ETag;
    } catch (error: unknown) {
      if (isNotFound(error)) return { state: INITIAL_WATCH_STATE, version: null };
      throw new WatchStateStoreError(`could not read the watch state ${this.location}: ${errorText(error)}`, {
        cause: error,
      });
    }
    if (!etag) throw new WatchStateStoreError(`S3 returned no ETag for the watch state ${this.location}`);
    // A malformed state fails the run with a WatchStateError naming the field: replacing it
    // silently could alert again for an incident that was already announced.
    return { state: parseWatchState(text), version: etag };
  }

  async write(state: WatchState, version: string | null): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: serializeWatchState(state),
          ContentType: 'application/json',
          ...(version === null ? { IfNoneMatch: '*' } : { IfMatch: version }),
        }),
      );
      return true;
    } catch (error: unknown) {
      if (conditionFailed(error)) return false;
      throw new WatchStateStoreError(
        `could not write the watch state ${this.location}: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
