/**
 * The commands of `peer5-reporter`, and their help. Each command (in commands/) parses its flags,
 * builds its runtime, calls the same core functions the Lambdas call, and returns an exit code.
 */

import { backfill } from './commands/backfill.ts';
import type { Command } from './commands/command.ts';
import { plan } from './commands/plan.ts';
import { query } from './commands/query.ts';
import { report } from './commands/report.ts';
import { run } from './commands/run.ts';
import { simulator } from './commands/simulator.ts';
import { start } from './commands/start.ts';
import { watch } from './commands/watch.ts';
import { TOKEN_VARIABLE } from './connections.ts';
import { flagHelp } from './options.ts';

export const COMMANDS: readonly Command[] = [start, run, report, watch, backfill, plan, query, simulator];

export function commandHelp(command: Command): string {
  const flags = Object.keys(command.flags).length > 0 ? `\n\nOptions:\n${flagHelp(command.flags)}` : '';
  const summary = `${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}`;
  return `Usage: ${command.usage}\n\n${summary}.${flags}`;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: peer5-reporter <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    `With no ${TOKEN_VARIABLE} and no --token-secret, commands run against the embedded simulator.`,
    'Exit codes: 0 ok, 1 failed, 2 bad usage, 3 finished with gaps, 4 the watch raised or continued',
    'an offload alert; 1 too when a run stops early (Ctrl-C, --deadline): windows already written',
    'stay, and running it again goes on.',
    'Run "peer5-reporter help <command>" (or "peer5-reporter <command> --help") for its options,',
    'and "peer5-reporter --version" for the version.',
  ].join('\n');
}
