/**
 * Checks that a bucket the lake is written into aborts incomplete multipart uploads. The writer
 * aborts its own failed uploads, but a run that is killed (a Lambda timeout, a SIGKILL) cannot, and
 * S3 then keeps the uploaded parts, billed and invisible, until a lifecycle rule aborts them. The
 * stack's own bucket has such a rule; a bucket passed in with `bucketName` is the owner's to set.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorText } from '../core/error-text.ts';
import { INCOMPLETE_UPLOAD_DAYS } from '../core/lake/sink.ts';

/** The rule's key prefix, or null when it also filters on something an upload in progress lacks. */
function prefixOf(rule: LifecycleRule): string | null {
  const filter = rule.Filter;
  if (filter === undefined) return rule.Prefix ?? '';
  if (filter.Tag || filter.ObjectSizeGreaterThan !== undefined || filter.ObjectSizeLessThan !== undefined)
    return null;
  if (filter.And) {
    const and = filter.And;
    if (
      (and.Tags?.length ?? 0) > 0 ||
      and.ObjectSizeGreaterThan !== undefined ||
      and.ObjectSizeLessThan !== undefined
    )
      return null;
    return and.Prefix ?? '';
  }
  return filter.Prefix ?? '';
}

/** Whether an enabled rule aborts incomplete uploads of every key below `keyPrefix`. */
export function abortsIncompleteUploads(rules: readonly LifecycleRule[], keyPrefix: string): boolean {
  return rules.some((rule) => {
    if (rule.Status !== 'Enabled' || rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation === undefined)
      return false;
    const prefix = prefixOf(rule);
    return prefix !== null && keyPrefix.startsWith(prefix);
  });
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/**
 * A warning when no lifecycle rule of `bucket` aborts incomplete uploads below the lake prefix,
 * or when the configuration cannot be read; null when one does. Never throws for S3's answer.
 */
export async function incompleteUploadWarning(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<string | null> {
  const keyPrefix = prefix === '' ? '' : `${prefix.replace(/\/+$/, '')}/`;
  const fix =
    `Add one, for example: aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} ` +
    `--lifecycle-configuration '{"Rules":[{"ID":"abort-incomplete-uploads","Status":"Enabled",` +
    `"Filter":{"Prefix":"${keyPrefix}"},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":${INCOMPLETE_UPLOAD_DAYS}}}]}' ` +
    `(this replaces the bucket's lifecycle configuration: if it has rules, add this one to them).`;
  const why =
    'a run that is killed mid-upload leaves its uploaded parts behind, billed and invisible, until such a rule aborts them.';
  const where = `s3://${bucket}/${keyPrefix}`;
  let rules: readonly LifecycleRule[];
  try {
    const result = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    rules = result.Rules ?? [];
  } catch (error: unknown) {
    const name = errorName(error);
    if (name === 'NoSuchLifecycleConfiguration') {
      return `bucket ${bucket} has no lifecycle configuration, so nothing aborts incomplete multipart uploads under ${where}: ${why} ${fix}`;
    }
    if (name === 'AccessDenied' || name === 'AccessDeniedException') {
      return `could not check that bucket ${bucket} aborts incomplete multipart uploads: these credentials may not call s3:GetLifecycleConfiguration (${errorText(error)}). Check it in the S3 console (the bucket's Management tab, Lifecycle rules): ${why}`;
    }
    if (name === 'NoSuchBucket')
      return `bucket ${bucket} does not exist, or is not visible to these credentials.`;
    return `could not read the lifecycle configuration of bucket ${bucket} (${errorText(error)}), so it is not known whether incomplete multipart uploads under ${where} are aborted: ${why}`;
  }
  if (abortsIncompleteUploads(rules, keyPrefix)) return null;
  return `no enabled lifecycle rule of bucket ${bucket} aborts incomplete multipart uploads under ${where}: ${why} ${fix}`;
}
