/**
 * `npm run test:node24`: the unit and slow projects (every test that needs nothing but Node) on
 * Node 24, the Lambda runtime's version, whichever Node runs npm. On another Node it brings Node 24 in from the npm registry's `node` package with
 * npx (downloaded once, then cached) and puts it first on PATH, so npm, vitest and every process a
 * test starts run on it. Arguments are passed on: `npm run test:node24 -- test/lake`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The Node of the Lambda runtime (`LAMBDA_RUNTIME` in lib/defaults.ts; a test keeps them equal).
 * The `nodejs24.x` runtime tracks the newest 24.x release, and so does `npx node@24`.
 */
export const LAMBDA_NODE_MAJOR = 24;

export function node24(): string {
  if (Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR) return process.execPath;
  process.stderr.write(
    `Node ${process.versions.node} runs npm; fetching Node ${LAMBDA_NODE_MAJOR} with npx ...\n`,
  );
  const printed = execFileSync(
    'npx',
    ['--yes', `node@${LAMBDA_NODE_MAJOR}`, '-p', 'process.execPath + " " + process.versions.node'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32' },
  ).trim();
  const [executable, version] = printed.split(' ');
  if (executable === undefined || !version?.startsWith(`${LAMBDA_NODE_MAJOR}.`)) {
    throw new Error(
      `npx node@${LAMBDA_NODE_MAJOR} printed "${printed}", not a Node ${LAMBDA_NODE_MAJOR} binary`,
    );
  }
  return executable;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const executable = node24();
  const PATH = [path.dirname(executable), process.env.PATH ?? ''].join(path.delimiter);
  process.stderr.write(`Running the unit and slow tests on ${executable}\n`);
  const projects = ['--project', 'unit', '--project', 'slow'];
  const result = spawnSync('npx', ['vitest', 'run', ...projects, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH },
    shell: process.platform === 'win32',
  });
  process.exitCode = result.status ?? 1;
}
