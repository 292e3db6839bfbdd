import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandHelp } from '../../bin/cli/commands.ts';
import { README_PATH, withGeneratedSections } from '../../bin/cli/readme-sections.ts';
import { DEFAULT_DEADLINES } from '../../bin/cli/run-control.ts';
import { CLIENT_DEFAULTS } from '../../lambdas/adapters/peer5-api/index.ts';
import { LAMBDA_RUNTIME } from '../../lib/defaults.ts';
import { LAMBDA_NODE_MAJOR } from '../support/node24.ts';
import { REPO_ROOT } from './run-cli.ts';

describe('the README', () => {
  it('opens with the two commands a new user runs', async () => {
    const readme = await readFile(README_PATH, 'utf8');
    const quickStart = readme.slice(0, readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
    expect(quickStart).toContain('npm ci && npm start');
    expect(quickStart).toContain('npm test');
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toMatch(/ start$/);
    const ci = await readFile(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toContain('npm test');
    expect(ci).toContain('npm start');
  });

  it('says which Node versions are supported and tested, and CI runs the unit suite on the Lambda runtime', async () => {
    const readme = await readFile(README_PATH, 'utf8');
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      engines: { node: string };
    };
    const versions = readme.slice(readme.indexOf('### Node.js versions'));
    expect(versions).toMatch(/\| 24 \| supported; the Lambda functions run on it/);
    expect(versions).toContain('| 20.19 or newer | supported, but past its end of life');
    expect(pkg.engines.node).toBe('>=20.19');
    expect(LAMBDA_RUNTIME.name).toBe(`nodejs${LAMBDA_NODE_MAJOR}.x`);
    expect(pkg.scripts[`test:node${LAMBDA_NODE_MAJOR}`]).toBe('tsx test/support/node24.ts');
    expect(pkg.scripts['test:unit']).toBe('vitest run --project unit');
    for (const script of ['test:unit', `test:node${LAMBDA_NODE_MAJOR}`]) {
      expect(readme).toContain(`npm run ${script}`);
    }
    const ci = await readFile(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(new RegExp(`^npm run test:node${LAMBDA_NODE_MAJOR}$`, 'm'));
    expect(versions).toContain('`@middy/*` stays on 6.x');
  });

  it('has reference tables that match the settings schema and the dataset definitions', async () => {
    const readme = await readFile(README_PATH, 'utf8');
    // When this fails, run `npm run docs` and commit the README.
    expect(readme).toBe(withGeneratedSections(readme));
  });

  it('runs the command line through npx, except after installing it', async () => {
    for (const file of [README_PATH, path.join(REPO_ROOT, 'simulator', 'README.md')]) {
      const readme = await readFile(file, 'utf8');
      const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
      const invocations = blocks
        .filter((block) => !block.includes('npm link'))
        .flatMap((block) => block.split('\n'))
        .filter((line) => /(^|[\s&;])peer5-reporter\s/.test(line));
      expect(invocations.length, file).toBeGreaterThan(0);
      for (const line of invocations) expect(line, file).toMatch(/npx peer5-reporter\s/);
    }
    // The way to run it outside the clone, which test/cli/install.test.ts does for real.
    expect(await readFile(README_PATH, 'utf8')).toContain('npm link                 # or: npm install -g .');
  });

  it('documents every command of the command line', async () => {
    const readme = await readFile(README_PATH, 'utf8');
    for (const command of COMMANDS) expect(readme).toContain(`| \`${command.name}`);
  });

  it("gives each command's default --deadline and the longest wait as the code has them, as --help does", async () => {
    const readme = await readFile(README_PATH, 'utf8');
    for (const [name, deadline] of Object.entries(DEFAULT_DEADLINES)) {
      expect(readme).toContain(`| \`${name}\` | ${deadline} |`);
      const command = COMMANDS.find((candidate) => candidate.name === name);
      expect(command && commandHelp(command), name).toMatch(
        new RegExp(`--deadline DURATION +stop by then, .*\\(default ${deadline}\\)`),
      );
    }
    expect(readme).toContain(`never more than **${CLIENT_DEFAULTS.maxWaitMs / 60_000} minutes** at a time`);
  });
});
