/**
 * The `--lake` flag (and the config file's `lake`): where the CLI's lake is, as a URL or a folder.
 * The prefix of an S3 lake is checked by the same rule as the `prefix` setting.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAKE_PREFIX, LAKE_PREFIX_RULE } from '../../lambdas/core/lake/layout.ts';
import { S3_BUCKET_NAME } from '../../lambdas/core/lake/sink.ts';

export class LakeUrlError extends Error {
  override readonly name = 'LakeUrlError';
}

export type LakeLocation =
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'local'; readonly root: string; readonly prefix: string };

/**
 * Reads a lake location from the command line: `s3://bucket/optional/prefix`, `file:///abs/dir`
 * or a plain path (relative paths resolve against `cwd`). Slashes around the URL's path are
 * dropped (`s3://bucket/peer5/` is the prefix `peer5`).
 */
export function parseLakeUrl(url: string, cwd: string = process.cwd()): LakeLocation {
  const text = url.trim();
  if (text === '')
    throw new LakeUrlError('lake location must not be empty: use s3://bucket/prefix or a folder');
  if (/^s3:\/\//i.test(text)) {
    const rest = text.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!S3_BUCKET_NAME.test(bucket)) {
      throw new LakeUrlError(
        `lake location ${JSON.stringify(url)}: bucket name ${JSON.stringify(bucket)} must be 3-63 lowercase letters, digits, "." or "-"`,
      );
    }
    if (prefix !== '' && !LAKE_PREFIX.test(prefix)) {
      throw new LakeUrlError(
        `lake location ${JSON.stringify(url)}: its prefix ${JSON.stringify(prefix)} ${LAKE_PREFIX_RULE}`,
      );
    }
    return { kind: 's3', bucket, prefix };
  }
  if (/^file:\/\//i.test(text)) return { kind: 'local', root: fileURLToPath(text), prefix: '' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new LakeUrlError(
      `lake location ${JSON.stringify(url)}: only s3:// URLs and local folders are supported`,
    );
  }
  return { kind: 'local', root: resolve(cwd, text), prefix: '' };
}
