/**
 * The offload watch's incident state in a local lake folder, for the CLI. A conditional write
 * holds a lock file (created exclusively, so one writer at a time), compares the stored version
 * with the one the run read, and renames a complete temp file over the state, so a reader sees
 * the old state or the new one and two overlapping runs cannot both move it on.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  INITIAL_WATCH_STATE,
  parseWatchState,
  serializeWatchState,
  type WatchState,
} from '../core/insights/incident.ts';
import type { StoredWatchState, WatchStateStore } from '../core/insights/watch-run.ts';
import { checkLakeKey } from '../core/lake/sink.ts';

/** A lock older than this was left by a killed run: a write takes milliseconds. */
const STALE_LOCK_MS = 60_000;
const LOCK_WAIT_MS = 10;
const LOCK_ATTEMPTS = 500;

export class LocalWatchStateError extends Error {
  override readonly name = 'LocalWatchStateError';
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class LocalWatchState implements WatchStateStore {
  readonly location: string;
  private readonly lock: string;

  /** `root` is the lake folder; `key` is `watchStateKey(prefix)`. */
  constructor(root: string, key: string) {
    this.location = join(root, checkLakeKey(key));
    this.lock = `${this.location}.lock`;
  }

  /** The stored text and its version (size and modification time in ns), or null when absent. */
  private async current(): Promise<{ text: string; version: string } | null> {
    try {
      const [text, info] = await Promise.all([
        readFile(this.location, 'utf8'),
        stat(this.location, { bigint: true }),
      ]);
      return { text, version: `${info.ino}-${info.mtimeNs}-${info.size}` };
    } catch (error: unknown) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async read(): Promise<StoredWatchState> {
    const stored = await this.current();
    if (stored === null) return { state: INITIAL_WATCH_STATE, version: null };
    return { state: parseWatchState(stored.text), version: stored.version };
  }

  private async takeLock(): Promise<void> {
    await mkdir(dirname(this.location), { recursive: true });
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      try {
        await writeFile(this.lock, String(process.pid), { flag: 'wx' });
        return;
      } catch (error: unknown) {
        if (errorCode(error) !== 'EEXIST') throw error;
        const age = await stat(this.lock).then(
          (info) => Date.now() - info.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await rm(this.lock, { force: true });
        else await sleep(LOCK_WAIT_MS);
      }
    }
    throw new LocalWatchStateError(
      `the watch state lock ${this.lock} stayed taken; remove it if no run is going`,
    );
  }

  async write(state: WatchState, version: string | null): Promise<boolean> {
    await this.takeLock();
    try {
      const stored = await this.current();
      if ((stored?.version ?? null) !== version) return false;
      const temp = `${this.location}.${randomUUID()}.tmp`;
      await writeFile(temp, serializeWatchState(state), 'utf8');
      await rename(temp, this.location);
      return true;
    } finally {
      await rm(this.lock, { force: true });
    }
  }
}
