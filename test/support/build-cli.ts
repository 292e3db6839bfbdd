/**
 * Vitest's global setup: builds the compiled CLI when dist/ is missing or older than the sources,
 * so the tests that spawn `peer5-reporter` run the build a user's `npm ci` makes.
 */
import { buildCli, compiledCliIsFresh } from '../../bin/build-cli.js';

export default async function setup(): Promise<void> {
  if (compiledCliIsFresh()) return;
  if (!(await buildCli())) throw new Error('the tests need esbuild (a dev dependency) to build the CLI');
}
