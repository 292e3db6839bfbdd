/**
 * The functions' bundles as `cdk synth` writes them: each under the 1 MB budget, its source map
 * beside the code rather than inside it, and only what the function uses.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizeWithBundles } from '../handlers/deployment.ts';
import { CONTEXT } from './synth.ts';

/** Each function's bundle (`index.mjs`) may be at most this big. */
const BUNDLE_BUDGET_BYTES = 1_000_000;

/**
 * Text found only in zod's translated messages (here Indonesian): the locales the product never
 * loads. ASCII, because esbuild writes any other character of a bundle as an escape.
 */
const ZOD_LOCALE_TEXT = 'Input tidak valid';

/** Text found only in nodemailer's MIME composer, which only the report function sends with. */
const MIME_COMPOSER_TEXT = 'multipart/alternative';

/** An ES module import of node:http or node:https, as esbuild writes one (minified or not). */
const HTTP_ES_IMPORT = /from\s*"(node:)?https?"/;

describe('the bundles of the synthesized stack', () => {
  const synthesized = synthesizeWithBundles(CONTEXT);
  afterAll(() => synthesized.remove());
  const functions = [...synthesized.functions.values()];

  it('include every function of the stack', () => {
    expect(functions.map((fn) => fn.id).sort()).toEqual([
      'Backfill',
      'DailyExport',
      'DailyReport',
      'HourlyExport',
      'OffloadWatch',
      'ReportCheck',
      'StateMachineBackfillItem',
      'StateMachineBackfillPlan',
      'StateMachineBackfillSummary',
    ]);
  });

  it.each(functions.map((fn) => [fn.id, fn] as const))('keep %s within 1 MB', (_id, fn) => {
    expect(statSync(fn.bundle).size).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });

  it.each(functions.map((fn) => [fn.id, fn] as const))(
    'write the source map of %s beside its code, and do not load it at cold start',
    (_id, fn) => {
      const code = readFileSync(fn.bundle, 'utf8');
      expect(code).not.toContain('sourceMappingURL=data:');
      expect(existsSync(`${fn.bundle}.map`)).toBe(true);
      expect(String(fn.environment.NODE_OPTIONS ?? '')).not.toContain('--enable-source-maps');
    },
  );

  it.each(functions.map((fn) => [fn.id, fn] as const))('leave zod’s unused locales out of %s', (_id, fn) => {
    expect(readFileSync(fn.bundle, 'utf8')).not.toContain(ZOD_LOCALE_TEXT);
  });

  it.each(functions.map((fn) => [fn.id, fn] as const))(
    'load node:http and node:https in %s as require returns them, not through an ES import',
    (_id, fn) => {
      const code = readFileSync(fn.bundle, 'utf8');
      expect(code).not.toMatch(HTTP_ES_IMPORT);
      expect(code).toContain('process.getBuiltinModule("node:http")');
      expect(code).toContain('process.getBuiltinModule("node:https")');
    },
  );

  it('bundle the MIME composer only into the function that sends email with it', () => {
    const withComposer = functions
      .filter((fn) => readFileSync(fn.bundle, 'utf8').includes(MIME_COMPOSER_TEXT))
      .map((fn) => fn.id);
    expect(withComposer).toEqual(['DailyReport']);
  });
});
