import { inspect } from 'node:util';
import { expect } from 'vitest';
import type { ExportRow } from '../../../lambdas/core/contract.ts';

export async function collect(rows: AsyncIterable<ExportRow>): Promise<ExportRow[]> {
  const out: ExportRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** Runs the export to its end and returns the error it must fail with. */
export async function failure(rows: AsyncIterable<ExportRow>): Promise<Error> {
  try {
    await collect(rows);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`the export threw a non-Error: ${String(error)}`);
  }
  return expect.unreachable('expected the export to fail');
}

/** Asserts that no rendering of `value` (JSON, util.inspect, String) contains `secret`. */
export function expectNoSecret(value: unknown, secret: string): void {
  let json: string;
  try {
    json = JSON.stringify(value) ?? '';
  } catch {
    json = '';
  }
  expect(json).not.toContain(secret);
  expect(inspect(value, { depth: 10, showHidden: true })).not.toContain(secret);
  expect(String(value)).not.toContain(secret);
  if (value instanceof Error) {
    expect(value.stack ?? '').not.toContain(secret);
    if (value.cause !== undefined) expectNoSecret(value.cause, secret);
  }
}
