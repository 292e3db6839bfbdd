import { describe, expect, it } from 'vitest';
import { LakeUrlError, parseLakeUrl } from '../../bin/cli/lake-url.ts';
import { LAKE_PREFIX_RULE } from '../../lambdas/core/lake/layout.ts';

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
