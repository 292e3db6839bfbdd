/**
 * A separate process writing one object into a local lake, for the tests of leftovers. It writes
 * the first part of the body, says `writing` on stdout once its temp file holds it, and finishes the
 * object (then says `done`) only when its stdin ends. Kill it in between and the temp file stays.
 * Run: node --import tsx staged-writer.ts ROOT KEY
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalLakeSink, parseTempName, STAGING_FOLDER } from '../../../lambdas/adapters/local-lake-sink.ts';

const [root, key] = process.argv.slice(2);
if (root === undefined || key === undefined) throw new Error('usage: staged-writer.ts ROOT KEY');

const FIRST_PART = 'first part, ';

/**
 * Whether this process's temp file holds the first part: its existence alone is not enough, since
 * the part reaches the file later, and a kill in between left an empty temp file under load.
 */
async function firstPartWritten(): Promise<boolean> {
  const folder = join(root as string, STAGING_FOLDER);
  const names = await readdir(folder).catch(() => []);
  const mine = names.find((name) => parseTempName(name)?.pid === process.pid);
  if (mine === undefined) return false;
  const size = await stat(join(folder, mine)).then(
    (file) => file.size,
    () => 0,
  );
  return size >= Buffer.byteLength(FIRST_PART);
}

const body = new PassThrough();
const writing = new LocalLakeSink({ root }).put(key, body);
body.write(FIRST_PART);
while (!(await firstPartWritten())) await new Promise((resolve) => setTimeout(resolve, 10));
process.stdout.write('writing\n');
process.stdin.resume();
process.stdin.once('end', () => body.end('second part'));
await writing;
process.stdout.write('done\n');
