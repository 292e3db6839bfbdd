/**
 * `cdk synth` as an operator runs it: through the CDK CLI, with no AWS credentials or region in
 * the environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/defaults.ts';

const outdir = mkdtempSync(join(tmpdir(), 'peer5-cli-'));

function offlineEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cdk synth on the command line', () => {
  it('stops at a bad -c setting, naming it and its rule, without a stack trace', () => {
    const result = spawnSync(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '-o',
        outdir,
        '-c',
        'sender=reports@example.com',
        '-c',
        'recipients=ops@example',
        '-c',
        'hourlyExportMinute=90',
      ],
      { cwd: PROJECT_ROOT, env: offlineEnvironment(), encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Invalid setting "recipients[0]": must be an email address');
    expect(result.stderr).toContain('Invalid setting "hourlyExportMinute": must be at most 59');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
