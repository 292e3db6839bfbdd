/**
 * The lake in a local folder: the embedded default for demos and single-machine use. Keys map to
 * files under `root`; every write goes to a temp file in the hidden staging folder under `root`,
 * then is renamed over the final name, so a reader sees the old file or the new one, never a
 * partial one. Names starting with `.` are never listed.
 *
 * fsync: a window costs one of its data and one of its folder. A body with bytes (a window's
 * object) is fsynced before its rename and its folder after, so the object is on disk once put
 * returns. A zero-byte body (a provisional marker, a curation mark) has no data to sync, and its
 * folder is not synced: the protocol of markers.ts guards against runs that die, and a process
 * that dies loses nothing the kernel already has. Only a power cut can lose a rename that was not
 * synced. On a journalling file system (ext4 in its default mode, XFS) metadata changes reach the
 * disk in the order they were made, so the folder fsync of the next object also makes every
 * earlier marker durable: a marker is not lost while an object written after it survives. A file
 * system without that ordering can lose a marker or a curation mark in a power cut, and then a
 * provisional window looks settled (or a day stays uncurated) until a forced backfill rewrites it.
 *
 * A process killed mid-write leaves its temp file behind. Each temp file's name carries its
 * writer's host, pid and start time, so the first write of a later run can tell a leftover from a
 * file that a concurrent run is still writing, and clears only the leftovers (`isStaleTemp`).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TIME } from '../core/contract.ts';
import { checkLakeKey, type LakeListOptions, type LakeObjectInfo, type LakeSink } from '../core/lake/sink.ts';

/** The hidden folder under the lake's root where writes are staged until they are renamed. */
export const STAGING_FOLDER = '.staging';

/**
 * Older than any run could be: a temp file holds one window, and every run's deadline (15 minutes
 * in Lambda, far less than this for any CLI run) ends its writes long before. Past this age a temp
 * file is a leftover even when its writer's pid is alive again (a reused pid, or another host).
 */
export const STALE_TEMP_AGE_MS = TIME.DAY;

/** Who wrote a temp file, read from its name. */
export interface TempWriter {
  /** `os.hostname()`, reduced to letters, digits and `-` so the name stays parseable. */
  readonly host: string;
  readonly pid: number;
  /** When the write started, epoch milliseconds. */
  readonly startedAt: number;
}

/** The machine a temp file was written on, as its name spells it. */
export function hostTag(name = hostname()): string {
  return name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'host';
}

/** `<file name>.<host>.<pid>.<start ms>.<uuid>.tmp` */
export function tempName(finalName: string, writer: TempWriter): string {
  return `${finalName.slice(0, 100)}.${writer.host}.${writer.pid}.${writer.startedAt}.${randomUUID()}.tmp`;
}

const TEMP_NAME = /\.([A-Za-z0-9-]+)\.([1-9]\d*)\.(\d+)\.[0-9a-f-]{36}\.tmp$/;

export function parseTempName(name: string): TempWriter | undefined {
  const match = TEMP_NAME.exec(name);
  if (match === null) return undefined;
  const [, host, pid, startedAt] = match as unknown as [string, string, string, string];
  return { host, pid: Number(pid), startedAt: Number(startedAt) };
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StalenessCheck {
  readonly now: number;
  /** This machine's `hostTag()`: a pid only means something on the host that wrote the file. */
  readonly host: string;
  readonly isAlive: (pid: number) => boolean;
}

/**
 * A temp file is left over when its writer is gone (same host, pid not alive) or when it is older
 * than any run could be. A name this module did not write is judged by its modification time alone.
 */
export function isStaleTemp(name: string, modifiedAt: number, check: StalenessCheck): boolean {
  const writer = parseTempName(name);
  const startedAt = writer?.startedAt ?? modifiedAt;
  if (check.now - startedAt > STALE_TEMP_AGE_MS) return true;
  return writer !== undefined && writer.host === check.host && !check.isAlive(writer.pid);
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof Error &&
    ((error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR')
  );
}

function infoOf(stats: Stats): LakeObjectInfo {
  return { size: stats.size, version: `${stats.ino}:${stats.mtimeMs}:${stats.size}` };
}

export interface LocalLakeSinkOptions {
  readonly root: string;
  /**
   * How messages and the report name the lake.
   * @default root
   */
  readonly location?: string;
}

export class LocalLakeSink implements LakeSink {
  readonly location: string;
  private readonly root: string;
  private readonly staging: string;
  /** The leftovers of killed runs are cleared once, before this sink's first write. */
  private ready: Promise<void> | undefined;

  constructor(options: LocalLakeSinkOptions) {
    this.root = options.root;
    this.location = options.location ?? options.root;
    this.staging = join(options.root, STAGING_FOLDER);
  }

  /**
   * Deletes the temp files that killed runs left in the staging folder, and keeps those that a
   * live run (in this process or another) is still writing. Returns the names it deleted.
   */
  async clearStaleTemps(now = Date.now()): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.staging);
    } catch (error: unknown) {
      if (isMissing(error)) return [];
      throw error;
    }
    const check: StalenessCheck = { now, host: hostTag(), isAlive: isProcessAlive };
    const cleared: string[] = [];
    for (const name of names) {
      const path = join(this.staging, name);
      let stats: Stats;
      try {
        stats = await stat(path);
      } catch (error: unknown) {
        if (isMissing(error)) continue; // renamed into place or cleared meanwhile
        throw error;
      }
      if (!stats.isFile() || !isStaleTemp(name, stats.mtimeMs, check)) continue;
      await rm(path, { force: true });
      cleared.push(name);
    }
    return cleared;
  }

  private async prepare(): Promise<void> {
    this.ready ??= this.clearStaleTemps().then(() => undefined);
    // A failed clean-up is tried again by the next write rather than remembered.
    await this.ready.catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
  }

  private pathOf(key: string): string {
    return join(this.root, ...checkLakeKey(key).split('/'));
  }

  async *list(prefix: string, options: LakeListOptions = {}): AsyncIterable<string> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    let count = 0;
    for await (const key of this.walk(folder, prefix, options.startAfter)) {
      yield key;
      count += 1;
      if (count >= limit) return;
    }
  }

  /**
   * Depth-first walk in S3 key order. A folder `a/` sorts as its keys do (they all start with
   * `a/`), so sorting entries by key with folders suffixed `/` yields keys in ascending order, and
   * whole folders before `startAfter` are skipped without being read.
   */
  private async *walk(folder: string, prefix: string, startAfter: string | undefined): AsyncIterable<string> {
    let entries: { key: string; folder: boolean }[];
    try {
      const dirents = await readdir(folder === '' ? this.root : join(this.root, ...folder.split('/')), {
        withFileTypes: true,
      });
      entries = dirents
        .filter((dirent) => !dirent.name.startsWith('.') && (dirent.isDirectory() || dirent.isFile()))
        .map((dirent) => ({
          key: `${folder}${dirent.name}${dirent.isDirectory() ? '/' : ''}`,
          folder: dirent.isDirectory(),
        }));
    } catch (error: unknown) {
      if (isMissing(error)) return;
      throw error;
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const entry of entries) {
      if (entry.folder) {
        const overlapsPrefix = entry.key.startsWith(prefix) || prefix.startsWith(entry.key);
        const whollyBefore =
          startAfter !== undefined && entry.key < startAfter && !startAfter.startsWith(entry.key);
        if (overlapsPrefix && !whollyBefore) yield* this.walk(entry.key, prefix, startAfter);
      } else if (entry.key.startsWith(prefix) && (startAfter === undefined || entry.key > startAfter)) {
        yield entry.key;
      }
    }
  }

  async put(key: string, body: Readable | Uint8Array): Promise<LakeObjectInfo> {
    const path = this.pathOf(key);
    const folder = dirname(path);
    await this.prepare();
    await mkdir(this.staging, { recursive: true });
    await mkdir(folder, { recursive: true });
    const writer: TempWriter = { host: hostTag(), pid: process.pid, startedAt: Date.now() };
    const temp = join(this.staging, tempName(basename(path), writer));
    try {
      let hasData = true;
      if (body instanceof Uint8Array) {
        hasData = body.byteLength > 0;
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(body);
          if (hasData) await handle.sync();
        } finally {
          await handle.close();
        }
      } else {
        if (body.destroyed) throw body.errored ?? new Error('the body was closed before it was written');
        await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
        const handle = await open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      // The inode survives the rename, so this is also the final file's version.
      const info = infoOf(await stat(temp));
      await rename(temp, path);
      if (hasData) await syncFolder(folder);
      return info;
    } catch (error: unknown) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable | null> {
    const path = this.pathOf(key);
    try {
      // Opening first turns a missing file into null here rather than an error on the stream.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (error: unknown) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<LakeObjectInfo | null> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? infoOf(stats) : null;
    } catch (error: unknown) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

/** Makes the rename itself durable; not every platform lets a folder be fsynced, hence best effort. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the folder entry is an optimisation; the data itself is already synced.
  }
}
