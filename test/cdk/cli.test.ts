/**
 * `cdk synth` as an operator runs it: through the CDK CLI, with no AWS credentials or region in
 * the environment.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_PREFIX_RULE } from '../../lambdas/core/lake/layout.ts';
import { PROJECT_ROOT } from '../../lib/defaults.ts';
import { CDK_SYNTH_TIMEOUT_MS } from '../support/timeouts.ts';

const outdir = mkdtempSync(join(tmpdir(), 'peer5-cli-'));

function offlineEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The README's `npx cdk deploy` commands that choose datasets, exactly as written there. */
function readmeDatasetCommands(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  // One command per line once the backslash continuations are joined, as the shell joins them.
  const commands = blocks.flatMap((block) => block.replaceAll('\\\n', ' ').split('\n'));
  return commands.filter((line) => line.startsWith('npx cdk deploy') && /-c datasets(File)?=/.test(line));
}

describe('cdk synth on the command line', { timeout: CDK_SYNTH_TIMEOUT_MS }, () => {
  // One synth with every bad setting below: the app names them all at once, so one run shows each.
  let refused: SpawnSyncReturns<string>;
  beforeAll(() => {
    refused = spawnSync(
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
        '-c',
        'prefix=../x',
        '-c',
        'timezone=Europe/Berlin',
        '-c',
        'reportTIme=06:00',
      ],
      { cwd: PROJECT_ROOT, env: offlineEnvironment(), encoding: 'utf8' },
    );
  }, CDK_SYNTH_TIMEOUT_MS);

  it('stops at a bad -c setting, naming it and its rule, without a stack trace', () => {
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('Invalid setting "recipients[0]": must be an email address');
    expect(refused.stderr).toContain('Invalid setting "hourlyExportMinute": must be at most 59');
    expect(refused.stderr).not.toMatch(/^\s+at /m);
  });

  it('stops at a prefix with dot segments, naming the prefix setting', () => {
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`Invalid setting "prefix": ${LAKE_PREFIX_RULE}`);
  });

  it('stops at a misspelt -c setting, naming the setting it was meant to be', () => {
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(
      'Unknown setting "timezone": did you mean "timeZone"?\nUnknown setting "reportTIme": did you mean "reportTime"?',
    );
  });

  const datasetCommands = readmeDatasetCommands();

  it("finds the README's dataset examples: a -c datasets value and a datasetsFile", () => {
    expect(datasetCommands.filter((command) => command.includes('-c datasets='))).toHaveLength(1);
    expect(datasetCommands.filter((command) => command.includes('-c datasetsFile='))).toHaveLength(1);
  });

  for (const command of datasetCommands) {
    it(`synthesizes the README's example as written: ${command.slice(0, 120)}...`, {
      timeout: 300_000,
    }, () => {
      const assembly = mkdtempSync(join(tmpdir(), 'peer5-readme-'));
      try {
        // Run through a shell, so the quoting (and any line break) reaches the CDK CLI as typed.
        // `cdk ls` synthesizes the same app with the same settings into the same assembly, without
        // bundling the functions (half the time of a synth); the test below runs a real synth.
        const synth = command.replace(/^npx cdk deploy/, `npx cdk ls -o ${assembly}`);
        const result = spawnSync('bash', ['-c', synth], {
          cwd: PROJECT_ROOT,
          env: offlineEnvironment(),
          encoding: 'utf8',
        });
        expect(result.stderr).not.toContain('Invalid setting');
        expect(result.status, result.stderr).toBe(0);
        const template = JSON.parse(readFileSync(join(assembly, 'Peer5Reporter.template.json'), 'utf8')) as {
          Resources: Record<string, { Type: string; Properties?: { TableInput?: { Name?: string } } }>;
        };
        const tables = Object.values(template.Resources)
          .filter((resource) => resource.Type === 'AWS::Glue::Table')
          .map((resource) => resource.Properties?.TableInput?.Name)
          .sort();
        expect(tables).toEqual([
          'by_country_1h',
          'by_country_1h_curated',
          'by_page_1d',
          'by_page_1d_curated',
        ]);
      } finally {
        rmSync(assembly, { recursive: true, force: true });
      }
    });
  }

  // A whole synth, bundling every function as a deploy does, with no credentials.
  it(
    'warns about an unknown -c key and about none of the keys the CDK CLI adds itself',
    () => {
      const result = spawnSync(
        'npx',
        ['cdk', 'synth', '--quiet', '-o', outdir, '-c', 'owner=data-team', '-c', 'cli-telemetry=false'],
        { cwd: PROJECT_ROOT, env: offlineEnvironment(), encoding: 'utf8' },
      );
      expect(result.status).toBe(0);
      const output = `${result.stdout}\n${result.stderr}`;
      const unknownKeys = [...output.matchAll(/Context key "([^"]+)" is not a peer5-reporter setting/g)];
      expect(unknownKeys.map((match) => match[1])).toEqual(['owner']);
    },
    CDK_SYNTH_TIMEOUT_MS,
  );
});
