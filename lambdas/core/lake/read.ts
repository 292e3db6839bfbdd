/**
 * Reading a lake object back (gunzip + the dialect of csv.ts), streamed line by line: for tests,
 * checks and reports that want the stored numbers without Athena.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodeLakeCsvLine } from './csv.ts';
import type { LakeSink } from './sink.ts';

/** Every record of a gzip lake object, header first, as decoded fields (null = empty unquoted). */
export async function* readLakeCsv(gzipBody: Readable): AsyncIterable<(string | null)[]> {
  const gunzip = createGunzip();
  gzipBody.once('error', (error) => gunzip.destroy(error));
  const lines = createInterface({ input: gzipBody.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) yield decodeLakeCsvLine(line);
}

/** Records of the object under `key` (header first), or null when the lake has no such object. */
export async function readLakeObject(
  sink: LakeSink,
  key: string,
): Promise<AsyncIterable<(string | null)[]> | null> {
  const body = await sink.get(key);
  return body === null ? null : readLakeCsv(body);
}
