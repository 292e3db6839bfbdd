/**
 * Streaming an export body to a socket with backpressure, so an export's size never shows up in
 * memory, and stopping at once when the client goes away. Also the two streamed faults: a body
 * dripped a few bytes at a time, and a body cut off half-way.
 */
import type { ServerResponse } from 'node:http';
import type { SimulatorState } from './state.ts';

/** A slow body: `bytes` at a time, one piece every `everyMs`. */
export interface Drip {
  readonly bytes: number;
  readonly everyMs: number;
}

/** Waits `ms`, or less if the client goes away; true when the answer is still wanted. */
export function waitUnlessClosed(response: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      response.off('close', finish);
      resolve(!response.destroyed);
    };
    const timer = setTimeout(finish, ms);
    response.on('close', finish);
  });
}

/**
 * Writes chunks with backpressure: waits for 'drain' when the socket's buffer is full. Knows
 * when the client has gone ('close' before the end), so a dropped export stops at once. With a
 * drip, each chunk goes out in small pieces with a pause before each, like a server (or a proxy)
 * that sends just enough to keep a connection from timing out.
 */
class ResponseSink {
  private gone = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly drip?: Drip,
  ) {
    response.once('close', () => {
      this.gone = true;
    });
  }

  /** Writes a chunk; false when the client has gone and nothing more should be written. */
  async write(chunk: string): Promise<boolean> {
    if (this.drip === undefined) return await this.writeNow(chunk);
    const bytes = Buffer.from(chunk);
    for (let offset = 0; offset < bytes.length; offset += this.drip.bytes) {
      if (!(await waitUnlessClosed(this.response, this.drip.everyMs))) return false;
      if (!(await this.writeNow(bytes.subarray(offset, offset + this.drip.bytes)))) return false;
    }
    return true;
  }

  private async writeNow(chunk: string | Uint8Array): Promise<boolean> {
    if (this.gone || this.response.destroyed) return false;
    if (!this.response.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.response.off('drain', done);
          this.response.off('close', done);
          resolve();
        };
        this.response.on('drain', done);
        this.response.on('close', done);
        if (this.gone) done();
      });
    } else {
      // Let the event loop breathe between chunks, so one big export never starves other requests.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !this.gone && !this.response.destroyed;
  }
}

/** A 200 answer streamed chunk by chunk; stops early when the client has gone. */
export async function streamBody(
  state: SimulatorState,
  response: ServerResponse,
  contentType: string,
  chunks: Iterable<string>,
  drip?: Drip,
): Promise<void> {
  state.exportStarted();
  try {
    state.record(200);
    response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    const sink = new ResponseSink(response, drip);
    for (const chunk of chunks) {
      state.countStreamed(Buffer.byteLength(chunk));
      if (!(await sink.write(chunk))) return;
    }
    response.end();
  } finally {
    state.exportEnded();
  }
}

/** Starts a 200 answer, sends part of the body, then drops the connection before the end. */
export async function streamTruncated(
  state: SimulatorState,
  response: ServerResponse,
  body: string,
  contentType: string,
): Promise<void> {
  const bytes = Buffer.from(body);
  const part = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
  state.record(200);
  response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  await new Promise<void>((resolve) => {
    response.write(part, () => resolve());
  });
  response.socket?.destroy();
}
