/**
 * `cdk synth` as an operator runs it: through the CDK CLI, with no AWS credentials or region in
 * the environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAKE_PREFIX_RULE } from '../../lambdas/core/lake/sink.ts';
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

  it('stops at a prefix with dot segments, naming the prefix setting', () => {
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', outdir, '-c', 'prefix=../x'], {
      cwd: PROJECT_ROOT,
      env: offlineEnvironment(),
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`Invalid setting "prefix": ${LAKE_PREFIX_RULE}`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('stops at a misspelt -c setting, naming the setting it was meant to be', () => {
    const result = spawnSync(
      'npx',
      ['cdk', 'synth', '--quiet', '-o', outdir, '-c', 'timezone=Europe/Berlin', '-c', 'reportTIme=06:00'],
      { cwd: PROJECT_ROOT, env: offlineEnvironment(), encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'Unknown setting "timezone": did you mean "timeZone"?\nUnknown setting "reportTIme": did you mean "reportTime"?',
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('warns about an unknown -c key and about none of the keys the CDK CLI adds itself', () => {
    const result = spawnSync(
      'npx',
      ['cdk', 'synth', '--quiet', '-o', outdir, '-c', 'owner=data-team', '-c', 'cli-telemetry=false'],
      { cwd: PROJECT_ROOT, env: offlineEnvironment(), encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    const output = `${result.stdout}\n${result.stderr}`;
    const unknownKeys = [...output.matchAll(/Context key "([^"]+)" is not a peer5-reporter setting/g)];
    expect(unknownKeys.map((match) => match[1])).toEqual(['owner']);
  });
});
