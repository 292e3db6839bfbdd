/**
 * Writes one window's object: CSV lines -> gzip -> sink, streamed, so memory does not grow with the
 * window. Lines are batched into chunks before they reach gzip (one write per row would cost more
 * than the compression). `abort()` fails the body, which makes the sink drop the object.
 */
import { once } from 'node:events';
import type { ExportRow } from '../contract.ts';
import { LAKE_CONTENT_ENCODING, LAKE_CONTENT_TYPE, type LakeCsvEncoder } from './csv.ts';
import { ParallelGzip } from './parallel-gzip.ts';
import type { LakeObjectInfo, LakeSink } from './sink.ts';

export interface WindowWriterOptions {
  /** zlib level, 1 (fast) to 9 (small); 6 by default. */
  readonly gzipLevel?: number;
  /** Characters of CSV gathered before one write to gzip. */
  readonly chunkChars?: number;
}

export interface WindowWriteResult {
  readonly rows: number;
  /** Bytes of the stored (compressed) object. */
  readonly bytes: number;
  readonly version: string;
}

export class WindowWriter {
  private readonly gzip: ParallelGzip;
  private readonly stored: Promise<LakeObjectInfo>;
  private readonly chunkChars: number;
  private pending: string;
  private rowCount = 0;
  private storeError: { error: unknown } | undefined;
  /**
   * Aborted when the sink fails, to end a wait for gzip's drain. Not a race with `stored`: every
   * race leaves a reaction on the promises it is given, and `stored` lives as long as the window.
   */
  private readonly storeFailed = new AbortController();

  constructor(
    sink: LakeSink,
    readonly key: string,
    private readonly encoder: LakeCsvEncoder,
    options: WindowWriterOptions = {},
  ) {
    this.gzip = new ParallelGzip({ level: options.gzipLevel ?? 6 });
    this.chunkChars = options.chunkChars ?? 64 * 1024;
    this.pending = encoder.header;
    // The sink reports a failed body through put(); this listener only keeps an abort that comes
    // before the sink has attached its own from being an uncaught 'error' event.
    this.gzip.on('error', () => undefined);
    this.stored = sink.put(key, this.gzip, {
      contentType: LAKE_CONTENT_TYPE,
      contentEncoding: LAKE_CONTENT_ENCODING,
    });
    // Remembered so a write can fail fast instead of waiting on a stream nobody reads any more.
    this.stored.catch((error: unknown) => {
      this.storeError = { error };
      this.storeFailed.abort();
    });
  }

  get rows(): number {
    return this.rowCount;
  }

  /**
   * Adds a row. Returns a promise only when the caller has to wait (a chunk went to gzip and it
   * asked for a pause); otherwise undefined, so the common case costs no promise per row.
   */
  write(row: ExportRow): Promise<void> | undefined {
    this.pending += this.encoder.line(row);
    this.rowCount += 1;
    return this.pending.length >= this.chunkChars ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    this.throwIfStoreFailed();
    const text = this.pending;
    this.pending = '';
    if (text === '' || this.gzip.write(text)) return;
    try {
      await once(this.gzip, 'drain', { signal: this.storeFailed.signal });
    } catch (error: unknown) {
      if (!this.storeFailed.signal.aborted) throw error;
    }
    this.throwIfStoreFailed();
  }

  private throwIfStoreFailed(): void {
    if (this.storeError) throw this.storeError.error;
  }

  /** Ends the object and waits until the sink has stored it whole. */
  async finish(): Promise<WindowWriteResult> {
    await this.flush();
    this.gzip.end();
    const info = await this.stored;
    return { rows: this.rowCount, bytes: info.size, version: info.version };
  }

  /** Drops the object: the sink sees its body fail and stores nothing. */
  async abort(reason: Error): Promise<void> {
    if (!this.gzip.destroyed) this.gzip.destroy(reason);
    await this.stored.catch(() => undefined);
  }
}
