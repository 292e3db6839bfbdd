#!/usr/bin/env node
// The `peer5-reporter` command. It runs the CLI compiled into dist/ by `npm ci` (see
// build-cli.js) when that build is of the sources as they are; otherwise it loads the TypeScript
// sources through tsx, so a clone always runs what it holds. PEER5_REPORTER_CLI=compiled refuses
// the fallback (the tests use it, to run what users run); =source forces it.
import { COMPILED_CLI, compiledCliIsFresh } from './build-cli.js';

const wanted = process.env.PEER5_REPORTER_CLI;
const compiled = wanted !== 'source' && compiledCliIsFresh();
if (wanted === 'compiled' && !compiled) {
  process.stderr.write(
    `peer5-reporter: ${COMPILED_CLI} is missing or older than the sources; run "node bin/build-cli.js"\n`,
  );
  process.exit(1);
}
let cli;
if (compiled) {
  // package.json maps #compiled-cli to COMPILED_CLI.
  cli = await import('#compiled-cli');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('./cli.ts');
}
await cli.runProcess();
