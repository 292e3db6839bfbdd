/**
 * The lake in a local folder: the embedded default for demos and single-machine use. Keys map to
 * files under `root`; every write goes to a hidden temp file in the destination folder, is
 * fsynced, then renamed over the final name, so a reader sees the old file or the new one, never a
 * partial one. Names starting with `.` are temp files and are never listed.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkLakeKey, type LakeListOptions, type LakeObjectInfo, type LakeSink } from './sink.ts';

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
}

export class LocalLakeSink implements LakeSink {
  readonly location: string;
  private readonly root: string;

  constructor(options: LocalLakeSinkOptions) {
    this.root = options.root;
    this.location = options.root;
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
    await mkdir(folder, { recursive: true });
    const temp = join(folder, `.${path.slice(folder.length + sep.length)}.${randomUUID()}.tmp`);
    try {
      if (body instanceof Uint8Array) {
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(body);
          await handle.sync();
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
      await syncFolder(folder);
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
