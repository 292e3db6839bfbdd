/**
 * A separate process writing one object into a local lake, for the tests of leftovers. It writes
 * the first part of the body, says `writing` on stdout once its temp file exists, and finishes the
 * object (then says `done`) only when its stdin ends. Kill it in between and the temp file stays.
 * Run: node --import tsx staged-writer.ts ROOT KEY
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalLakeSink, parseTempName, STAGING_FOLDER } from '../../../lambdas/adapters/local-lake-sink.ts';

const [root, key] = process.argv.slice(2);
if (root === undefined || key === undefined) throw new Error('usage: staged-writer.ts ROOT KEY');

async function myTempFileExists(): Promise<boolean> {
  const names = await readdir(join(root as string, STAGING_FOLDER)).catch(() => []);
  return names.some((name) => parseTempName(name)?.pid === process.pid);
}

const body = new PassThrough();
const writing = new LocalLakeSink({ root }).put(key, body);
body.write('first part, ');
while (!(await myTempFileExists())) await new Promise((resolve) => setTimeout(resolve, 10));
process.stdout.write('writing\n');
process.stdin.resume();
process.stdin.once('end', () => body.end('second part'));
await writing;
process.stdout.write('done\n');
