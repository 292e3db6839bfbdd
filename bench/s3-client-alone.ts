/**
 * The least a function that reads or writes the lake imports: the S3 client, created as the
 * handlers create theirs at cold start. bench/bundles.ts bundles it as the stack bundles every
 * function and measures its import beside theirs.
 */
import { S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({});

export async function handler(): Promise<string | undefined> {
  return await s3.config.region();
}
