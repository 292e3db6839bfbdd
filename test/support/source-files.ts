/**
 * The repository's own code files, found on disk (so a file not yet added to git counts too), for
 * the tests that check the tree's shape: the README's folder map and the file length limit.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, '../..');

/** Folders that hold no code of ours: dependencies, build output, what `npm start` writes. */
const NOT_SOURCE = new Set(['node_modules', 'cdk.out', 'local', 'coverage', 'dist']);
const CODE_FILE = /\.(?:[cm]?[jt]s|tsx)$/;

/**
 * Every code file below the root's folders, as a path relative to the root with `/` separators.
 * The files at the root itself are the tools' configuration (`vitest.config.ts`), not left out by
 * accident. Hidden folders (`.git`, `.ci`) are skipped.
 */
export function codeFiles(dir = ''): string[] {
  return readdirSync(path.join(REPOSITORY_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || NOT_SOURCE.has(entry.name)) return [];
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return codeFiles(relative);
    return dir !== '' && CODE_FILE.test(entry.name) ? [relative] : [];
  });
}
