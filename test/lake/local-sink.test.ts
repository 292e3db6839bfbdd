import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/core/lake/local-sink.ts';
import { LAKE_PREFIX_RULE, LakeKeyError, LakeUrlError, parseLakeUrl } from '../../lambdas/core/lake/sink.ts';

let root: string;
let sink: LocalLakeSink;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-sink-'));
  sink = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listAll(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(prefix, options)) keys.push(key);
  return keys;
}

describe('LocalLakeSink', () => {
  it('stores, reads, describes and deletes an object', async () => {
    const info = await sink.put(
      'p/t/dt=2024-01-01/a.csv.gz',
      Readable.from([Buffer.from('hello '), Buffer.from('lake')]),
    );
    expect(info.size).toBe(10);
    expect(await readFile(join(root, 'p/t/dt=2024-01-01/a.csv.gz'), 'utf8')).toBe('hello lake');
    const body = await sink.get('p/t/dt=2024-01-01/a.csv.gz');
    expect(body && (await text(body))).toBe('hello lake');
    expect(await sink.head('p/t/dt=2024-01-01/a.csv.gz')).toEqual(info);
    await sink.delete('p/t/dt=2024-01-01/a.csv.gz');
    expect(await sink.get('p/t/dt=2024-01-01/a.csv.gz')).toBeNull();
    expect(await sink.head('p/t/dt=2024-01-01/a.csv.gz')).toBeNull();
    await sink.delete('p/t/dt=2024-01-01/a.csv.gz');
  });

  it('gives a replaced object a new version', async () => {
    const first = await sink.put('k/a', new Uint8Array([1, 2, 3]));
    const second = await sink.put('k/a', new Uint8Array([1, 2, 3]));
    expect(second.version).not.toBe(first.version);
    expect((await sink.head('k/a'))?.version).toBe(second.version);
  });

  it('lists keys in S3 order, from a prefix, after a key and up to a limit', async () => {
    const keys = [
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t-other/a',
      'lake/t.b',
      'lake/u/z',
    ];
    for (const key of keys) await sink.put(key, new Uint8Array(0));
    expect(await listAll('lake/')).toEqual([...keys].sort());
    expect(await listAll('lake/t/')).toEqual([
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t', {})).toEqual([
      'lake/t-other/a',
      'lake/t.b',
      'lake/t/dt=2024-01-01/hour=01/x.csv.gz',
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t/', { startAfter: 'lake/t/dt=2024-01-01/hour=01/x.csv.gz' })).toEqual([
      'lake/t/dt=2024-01-01/hour=23/x.csv.gz',
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/t/', { startAfter: 'lake/t/dt=2024-01-02' })).toEqual([
      'lake/t/dt=2024-01-02/hour=00/x.csv.gz',
    ]);
    expect(await listAll('lake/', { limit: 2 })).toHaveLength(2);
    expect(await listAll('nothing/')).toEqual([]);
  });

  it('never lists hidden temp files', async () => {
    await sink.put('t/a', new Uint8Array(0));
    await writeFile(join(root, 't', '.a.123.tmp'), 'partial');
    expect(await listAll('t/')).toEqual(['t/a']);
  });

  it('shows the old object until a new one is complete, then swaps it whole', async () => {
    await sink.put('t/a', Buffer.from('old'));
    const body = new PassThrough();
    const writing = sink.put('t/a', body);
    body.write('new, partly ');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');
    expect((await readdir(join(root, 't'))).filter((name) => name.startsWith('.a.'))).toHaveLength(1);
    body.end('written');
    await writing;
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('new, partly written');
    expect(await readdir(join(root, 't'))).toEqual(['a']);
  });

  it('leaves the old object and no temp file when the body fails', async () => {
    await sink.put('t/a', Buffer.from('old'));
    const body = new PassThrough();
    const writing = sink.put('t/a', body);
    body.write('half of it');
    setTimeout(() => body.destroy(new Error('source broke')), 20);
    await expect(writing).rejects.toThrow('source broke');
    expect(await readFile(join(root, 't/a'), 'utf8')).toBe('old');
    expect(await readdir(join(root, 't'))).toEqual(['a']);
  });

  it('refuses keys that would leave the lake folder', async () => {
    await expect(sink.put('../escape', new Uint8Array(0))).rejects.toThrow(LakeKeyError);
    await expect(sink.get('/abs')).rejects.toThrow(/relative path/);
    await expect(sink.head('a//b')).rejects.toThrow(/empty, "\." or "\.\." segments/);
  });
});

describe('parseLakeUrl', () => {
  it('reads an S3 URL into bucket and prefix', () => {
    expect(parseLakeUrl('s3://my-bucket/peer5/lake/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'peer5/lake',
    });
    expect(parseLakeUrl('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
  });

  it('reads a folder, relative or as a file URL', () => {
    expect(parseLakeUrl('./lake', '/srv')).toEqual({ kind: 'local', root: '/srv/lake', prefix: '' });
    expect(parseLakeUrl('file:///data/lake')).toEqual({ kind: 'local', root: '/data/lake', prefix: '' });
  });

  it('names the rule a bad location breaks', () => {
    expect(() => parseLakeUrl('s3://Bad_Bucket/x')).toThrow(LakeUrlError);
    expect(() => parseLakeUrl('s3://Bad_Bucket/x')).toThrow(/bucket name "Bad_Bucket" must be 3-63/);
    expect(() => parseLakeUrl('gs://bucket')).toThrow(/only s3:\/\/ URLs and local folders/);
    expect(() => parseLakeUrl('  ')).toThrow(/must not be empty/);
  });

  it('holds the prefix of an S3 URL to the rule of the prefix setting', () => {
    for (const [url, prefix] of [
      ['s3://my-bucket/../x', '../x'],
      ['s3://my-bucket/peer5/./lake', 'peer5/./lake'],
      ['s3://my-bucket/my lake', 'my lake'],
    ]) {
      expect(() => parseLakeUrl(url as string)).toThrow(
        `lake location ${JSON.stringify(url)}: its prefix ${JSON.stringify(prefix)} ${LAKE_PREFIX_RULE}`,
      );
    }
  });
});
