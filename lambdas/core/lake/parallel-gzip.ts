/**
 * gzip that compresses several blocks of its input at once, on libuv's threads, as pigz does, and
 * still writes one ordinary gzip member.
 *
 * A zlib gzip stream compresses on one thread at a time, and in the export pipeline that thread
 * was the critical path: the main thread reads and encodes rows about twice as fast as one thread
 * compresses them, and waited on gzip for about half of a day's run. A zlib stream also needs the
 * main thread between every 16 KiB of output to hand its thread the next piece of work, so while
 * the main thread parses a body, compression waits too. Here the input is gathered into blocks,
 * and each block is compressed by one call of zlib's raw deflate, in one go on one of libuv's
 * threads, while the main thread gathers the next. Each block is primed with the last 32 KiB of
 * the block before as its dictionary, so its matches reach back across the cut as in one stream,
 * and ends with a sync flush, so the blocks join byte-aligned into one deflate stream. The header,
 * the blocks in order, an empty final block and a trailer of CRC-32 and length make one gzip
 * member: any gzip reader reads it, with no multi-member support needed. The output is a few
 * bytes per block larger than one stream's (0.03 % for the bench's day); the CSV inside is the
 * same byte for byte.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw } from 'node:zlib';

/** gzip's member header: deflate, no name or extras, no time, from a Unix system (as zlib writes it). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);

/**
 * An empty deflate block marked final (fixed Huffman codes, just the end-of-block code): after the
 * last block's sync flush it ends the deflate stream, as zlib's own Z_FINISH would.
 */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/** How far back a deflate match can reach, so how much of a block the next one needs to see. */
const DEFLATE_WINDOW_BYTES = 32 * 1024;

/**
 * Input bytes per block, and below: blocks compressing at once, in all of a process's gzip
 * streams. Shared, so windows written one after another do not pile up input between them, and so
 * the blocks' buffers can be used again: a buffer that waits for its turn outlives V8's
 * young-generation collections and stays until a full one, and runs that made a new one for each
 * block peaked at 150-210 MB. In CLI runs of the bench's largest export (six paired runs over a
 * day), 2 blocks of 512 KiB at once took the median from 4.29 s with one zlib stream to 3.31 s,
 * and 3.5 days from 12.3 s to about 9 s, at 128-137 MB where one stream peaked at 119-131 MB.
 * 3 at once was no faster and took about 10 MB more.
 */
export const GZIP_BLOCK_BYTES = 512 * 1024;

export const GZIP_BLOCKS_IN_FLIGHT = 2;

/**
 * zlib's output buffer for a block: a quarter of the block, so a block of the lake's CSV (which
 * compresses four to five times) comes back from one piece of work, not one per 16 KiB. A new one
 * is made for each block; at half the block, 3.5 days peaked about 15 MB higher.
 */
const OUTPUT_CHUNK_BYTES = GZIP_BLOCK_BYTES / 4;

/**
 * Bytes of input that may wait for a block's slot before a write waits (the writable high-water
 * mark): room for a few of the writer's chunks, so the main thread does not stop at each one.
 */
export const GZIP_INPUT_BYTES = 256 * 1024;

/**
 * Bytes of compressed output nobody has read yet before input waits (the readable high-water
 * mark). Blocks end apart from the reader, so without it a slow sink would let output pile up.
 */
export const GZIP_OUTPUT_BYTES = 512 * 1024;

/**
 * Slots for blocks compressing, and the blocks' input buffers, shared by gzip streams. A block
 * takes a slot when it has all its input, even past the limit, and gives it back when compressed;
 * a stream waits before it starts gathering its next block while the slots are full. So a wait
 * always ends: it waits only on blocks that need nothing more to finish.
 */
export class GzipBlockSlots {
  private taken = 0;
  private readonly waiting = new Set<() => void>();
  private readonly spareBuffers: Buffer[] = [];

  constructor(
    readonly limit: number = GZIP_BLOCKS_IN_FLIGHT,
    readonly blockBytes: number = GZIP_BLOCK_BYTES,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`the gzip block slots must be a whole number of at least 1, not ${limit}`);
    }
    if (!Number.isInteger(blockBytes) || blockBytes < DEFLATE_WINDOW_BYTES) {
      throw new RangeError(
        `a gzip block must be a whole number of bytes, at least ${DEFLATE_WINDOW_BYTES}, not ${blockBytes}`,
      );
    }
  }

  get full(): boolean {
    return this.taken >= this.limit;
  }

  take(): void {
    this.taken += 1;
  }

  give(): void {
    this.taken -= 1;
    for (const wake of [...this.waiting]) wake();
  }

  /** Calls `wake` each time a slot is given back, until `stopWaiting`. */
  waitFor(wake: () => void): void {
    this.waiting.add(wake);
  }

  stopWaiting(wake: () => void): void {
    this.waiting.delete(wake);
  }

  /** A buffer for one block's input: a spare one, or a new one. */
  buffer(): Buffer {
    return this.spareBuffers.pop() ?? Buffer.allocUnsafeSlow(this.blockBytes);
  }

  /** Takes back a block's buffer once zlib is done with it; keeps a few spare, lets the rest go. */
  recycle(buffer: Buffer): void {
    if (this.spareBuffers.length <= this.limit) this.spareBuffers.push(buffer);
  }
}

/** The slots of every gzip stream that is given none: libuv's threads are the process's. */
const PROCESS_GZIP_SLOTS = new GzipBlockSlots();

export interface ParallelGzipOptions {
  /** zlib level, 1 (fast) to 9 (small); -1 is zlib's default, 6. */
  readonly level: number;
  /** @default the process's: GZIP_BLOCKS_IN_FLIGHT blocks of GZIP_BLOCK_BYTES */
  readonly slots?: GzipBlockSlots;
}

/** A block being compressed; settled once zlib hands its output back. */
interface Block {
  settled: boolean;
  output?: Buffer;
  error?: Error;
}

export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly slots: GzipBlockSlots;
  private readonly wake = () => this.release();
  /** Blocks in input order, the oldest first: output leaves in this order, whatever ends first. */
  private readonly blocks: Block[] = [];
  /** The next block's input gathered so far, or undefined between blocks. */
  private gathering: Buffer | undefined;
  private gatheredBytes = 0;
  /**
   * The last bytes (up to DEFLATE_WINDOW_BYTES) of the input compressed so far: the next block's
   * dictionary. One buffer, written over for each block: zlib copies a dictionary when it is given.
   */
  private readonly dictionary = Buffer.allocUnsafe(DEFLATE_WINDOW_BYTES);
  private dictionaryBytes = 0;
  private crc = 0;
  private inputBytes = 0;
  /** The chunk being gathered, from `heldChunkOffset` on, and its write's callback, held till it is in. */
  private heldChunk: Buffer | undefined;
  private heldChunkOffset = 0;
  private heldWrite: TransformCallback | undefined;
  /** The end, held until the last block is out. */
  private heldEnd: TransformCallback | undefined;
  /**
   * False from a push that found the output full until the reader asks for more (`_read`), as
   * the Readable protocol has it. The buffer's length cannot say it: a read asks for more before
   * it takes its bytes out.
   */
  private readerWantsMore = true;

  constructor(options: ParallelGzipOptions) {
    super({ writableHighWaterMark: GZIP_INPUT_BYTES, readableHighWaterMark: GZIP_OUTPUT_BYTES });
    this.level = options.level;
    this.slots = options.slots ?? PROCESS_GZIP_SLOTS;
    if (!Number.isInteger(this.level) || this.level < constants.Z_DEFAULT_COMPRESSION || this.level > 9) {
      throw new RangeError(`level must be a whole number from -1 to 9, not ${this.level}`);
    }
    this.push(GZIP_HEADER);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.inputBytes += chunk.length;
    this.heldChunk = chunk;
    this.heldChunkOffset = 0;
    this.heldWrite = callback;
    this.gather();
  }

  override _flush(callback: TransformCallback): void {
    this.heldEnd = callback;
    this.release();
  }

  /**
   * The reader asks for more: a write held for unread output may go on. Released first: Transform
   * keeps a write's callback back while its output buffer is full, and hands it on in its own
   * `_read`, which comes second.
   */
  override _read(size: number): void {
    this.readerWantsMore = true;
    this.release();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Blocks still compressing give their slots and buffers back when zlib is done with them.
    this.slots.stopWaiting(this.wake);
    this.blocks.length = 0;
    callback(error);
  }

  /**
   * A block may start compressing: a slot is free, and this stream's blocks waiting to go out in
   * order are not more than the slots (so a slow oldest block does not let the others pile up).
   */
  private mayCompress(): boolean {
    return !this.slots.full && this.blocks.length <= this.slots.limit;
  }

  private gatheredFull(): boolean {
    return this.gathering !== undefined && this.gatheredBytes === this.gathering.length;
  }

  /**
   * Copies the held chunk into blocks, compressing each full block while it may, and calls the
   * write back once the chunk is in and the reader wants more; otherwise waits for a slot or the
   * reader, and goes on from `release`.
   */
  private gather(): void {
    const chunk = this.heldChunk;
    if (chunk) {
      while (this.heldChunkOffset < chunk.length) {
        if (this.gatheredFull()) {
          if (!this.mayCompress()) {
            this.slots.waitFor(this.wake);
            return;
          }
          this.compressGathered();
        }
        this.gathering ??= this.slots.buffer();
        const copied = chunk.copy(this.gathering, this.gatheredBytes, this.heldChunkOffset);
        this.gatheredBytes += copied;
        this.heldChunkOffset += copied;
      }
      this.heldChunk = undefined;
    }
    // A block filled by the chunk's last bytes starts now if it may, else with the next chunk.
    if (this.gatheredFull() && this.mayCompress()) this.compressGathered();
    if (!this.readerWantsMore) {
      this.slots.waitFor(this.wake);
      return;
    }
    const callback = this.heldWrite;
    this.heldWrite = undefined;
    this.slots.stopWaiting(this.wake);
    callback?.();
  }

  private compressGathered(): void {
    const buffer = this.gathering as Buffer;
    const input = buffer.subarray(0, this.gatheredBytes);
    this.gathering = undefined;
    this.gatheredBytes = 0;
    const block: Block = { settled: false };
    this.blocks.push(block);
    this.slots.take();
    deflateRaw(
      input,
      {
        level: this.level,
        finishFlush: constants.Z_SYNC_FLUSH,
        chunkSize: OUTPUT_CHUNK_BYTES,
        ...(this.dictionaryBytes > 0
          ? { dictionary: this.dictionary.subarray(0, this.dictionaryBytes) }
          : {}),
      },
      (error, output) => {
        block.settled = true;
        if (error) block.error = error;
        else block.output = output;
        this.slots.recycle(buffer);
        this.slots.give();
        this.release();
      },
    );
    this.rememberTail(input);
  }

  /** Keeps the last DEFLATE_WINDOW_BYTES of what was compressed, for the next block. */
  private rememberTail(input: Buffer): void {
    const keep = Math.min(this.dictionaryBytes, DEFLATE_WINDOW_BYTES - input.length);
    // Only a last block is shorter than the window, but the rule holds for any block.
    if (keep > 0) this.dictionary.copy(this.dictionary, 0, this.dictionaryBytes - keep, this.dictionaryBytes);
    const fresh = Math.min(input.length, DEFLATE_WINDOW_BYTES);
    input.copy(this.dictionary, Math.max(keep, 0), input.length - fresh);
    this.dictionaryBytes = Math.max(keep, 0) + fresh;
  }

  /**
   * Hands on every settled block at the head, in order, then lets a held write go on, or at the
   * end compresses the last block and, once every block is out, ends the member.
   */
  private release(): void {
    if (this.destroyed) return;
    while (this.blocks[0]?.settled) {
      const block = this.blocks.shift() as Block;
      if (block.error) {
        this.destroy(block.error);
        return;
      }
      if (!this.push(block.output)) this.readerWantsMore = false;
    }
    if (this.heldWrite) this.gather();
    if (!this.heldEnd) return;
    if (this.gatheredBytes > 0) {
      if (this.mayCompress()) this.compressGathered();
      else this.slots.waitFor(this.wake);
    }
    if (this.blocks.length === 0 && this.gatheredBytes === 0) {
      if (this.gathering) this.slots.recycle(this.gathering);
      this.gathering = undefined;
      this.slots.stopWaiting(this.wake);
      const callback = this.heldEnd;
      this.heldEnd = undefined;
      callback(null, Buffer.concat([FINAL_EMPTY_BLOCK, this.trailer()]));
    }
  }

  /** CRC-32 and length of the whole input, little-endian, the length modulo 2^32 as gzip has it. */
  private trailer(): Buffer {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc, 0);
    trailer.writeUInt32LE(this.inputBytes % 2 ** 32, 4);
    return trailer;
  }
}
