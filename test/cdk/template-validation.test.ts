/**
 * The CDK's own CloudFormation validation, which `cdk synth` and `cdk deploy` run on every
 * template (its built-in rules: properties, types, allowed values, references), finds nothing in
 * the stack. Every other test synthesizes with it switched off (`CDK_VALIDATION` in
 * vitest.config.ts): it costs about 4 CPU-seconds in each process that synthesizes, and this file
 * runs it for all of them, on the stack with every setting changed and on the default one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, CfnResource } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../lib/app.ts';
import { CONTEXT } from './synth.ts';

/** The name aws-cdk-lib gives its built-in plugin's report. */
const BUILT_IN_VALIDATION = 'CloudFormation Validate';

interface Violation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly Violation[];
  }[];
}

/** What the built-in validation found in the app's templates, one line per construct and rule. */
function builtInViolations(app: App): string[] {
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  return report.pluginReports
    .filter((plugin) => plugin.pluginName === BUILT_IN_VALIDATION)
    .flatMap((plugin) => plugin.violations)
    .flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) => `${construct.constructPath}: ${violation.ruleName} ${violation.description}`,
      ),
    );
}

describe("the CDK's CloudFormation validation", () => {
  beforeEach(() => {
    vi.stubEnv('CDK_VALIDATION', 'true');
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('finds nothing in the stack with every setting changed from its default', () => {
    const { app } = createApp({ context: CONTEXT, bundle: false, checks: false });
    expect(builtInViolations(app)).toEqual([]);
  });

  it('finds nothing in the stack of the README example', () => {
    const { app } = createApp({
      context: { sender: 'reports@example.com', recipients: 'ops@example.com' },
      bundle: false,
      checks: false,
    });
    expect(builtInViolations(app)).toEqual([]);
  });

  it('is on in these tests: a misspelt property and a value not allowed are both named', () => {
    // The CDK also prints what it found; the report file is what this test reads.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { app, stack } = createApp({ context: CONTEXT, bundle: false, checks: false });
    new CfnResource(stack, 'MisspeltBucket', {
      type: 'AWS::S3::Bucket',
      properties: { BucketNam: 'x', VersioningConfiguration: { Status: 'Maybe' } },
    });
    const found = builtInViolations(app);
    expect(found).toHaveLength(2);
    expect(found.join('\n')).toContain('Peer5Reporter/MisspeltBucket');
    expect(found.join('\n')).toContain('BucketNam');
    expect(found.join('\n')).toContain("'Maybe'");
  });
});
