/**
 * Writes one window's object: CSV lines -> gzip -> sink, streamed, so memory does not grow with the
 * window. Lines are gathered as bytes into chunks before they reach gzip (one write per row would
 * cost more than the compression): a row read in place from the API's CSV is copied there byte by
 * byte when the encoder can (`copyLine`), any other row is encoded as text into the same chunk.
 * `abort()` fails the body, which makes the sink drop the object.
 */
import { once } from 'node:events';
import type { ExportRow } from '../contract.ts';
import { CsvLines, type ExportBatch } from '../csv-lines.ts';
import { LAKE_CONTENT_ENCODING, LAKE_CONTENT_TYPE, type LakeCsvEncoder } from './csv.ts';
import { ParallelGzip } from './parallel-gzip.ts';
import type { LakeObjectInfo, LakeSink } from './sink.ts';

/** Room past a full chunk for the line that fills it, so that most lines never grow the chunk. */
const LINE_ROOM = 4096;

export interface WindowWriterOptions {
  /** zlib level, 1 (fast) to 9 (small); 6 by default. */
  readonly gzipLevel?: number;
  /** Bytes of CSV gathered before one write to gzip; 64 KiB by default. */
  readonly chunkBytes?: number;
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
  private readonly chunkBytes: number;
  /** The chunk being gathered, and how much of it is used. */
  private chunk: Buffer;
  private used = 0;
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
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.chunk = Buffer.allocUnsafe(this.chunkBytes + LINE_ROOM);
    this.writeText(encoder.header);
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
   * Adds row `i` of a batch. Returns a promise only when the caller has to wait (a chunk went to
   * gzip and it asked for a pause); otherwise undefined, so the common case costs no promise per row.
   */
  write(batch: ExportBatch, i: number): Promise<void> | undefined {
    if (batch instanceof CsvLines) {
      // The API's line, `\n` included, and two quotes per dimension: never shorter than the lake's.
      const room = batch.lineEnd(i) - batch.lineStart(i) + 1 + 2 * batch.dimensions.length;
      if (this.used + room > this.chunk.length) this.grow(room);
      const end = this.encoder.copyLine(batch, i, this.chunk, this.used);
      if (end >= 0) this.used = end;
      else this.writeText(this.encoder.line(batch.rowAt(i)));
    } else {
      this.writeText(this.encoder.line(batch[i] as ExportRow));
    }
    this.rowCount += 1;
    return this.used >= this.chunkBytes ? this.flush() : undefined;
  }

  private writeText(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + 3 * text.length > this.chunk.length) this.grow(3 * text.length);
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Makes room for `bytes` more in the chunk being gathered (a line longer than LINE_ROOM). */
  private grow(bytes: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.chunk.length, this.used + bytes));
    this.chunk.copy(bigger, 0, 0, this.used);
    this.chunk = bigger;
  }

  private async flush(): Promise<void> {
    this.throwIfStoreFailed();
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.used = 0;
    const ready = this.gzip.write(full);
    // gzip copies a chunk into its blocks, at once when it can. One it has not taken in yet stays
    // its own (writableLength counts it until its write completes): the next is gathered anew.
    if (this.gzip.writableLength > 0) this.chunk = Buffer.allocUnsafe(this.chunkBytes + LINE_ROOM);
    if (ready) return;
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
