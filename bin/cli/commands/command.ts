/**
 * What a command is, and the small pieces every command shares: where it writes, and how it
 * refuses arguments it does not take. Results go to stdout (text, or JSON with --json); progress
 * and notes go to stderr, so stdout stays clean for scripts.
 */
import { nameLike } from '../../../lambdas/core/spelling.ts';
import { type FlagTable, type FlagValues, UsageError } from '../options.ts';

export interface CommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagTable;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

/** The result on stdout: `json` under --json, else the text. */
export function print(io: CommandIo, values: FlagValues, json: unknown, text: () => string): void {
  io.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

/** Human notes go to stderr, so stdout carries only the result (and with --json, only JSON). */
export function note(io: CommandIo, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** `; did you mean "x"?` when a misspelt argument looks like one of `names`. */
export function meantOf(text: string | undefined, names: readonly string[]): string {
  const meant = text === undefined ? undefined : nameLike(text, names);
  return meant === undefined ? '' : `; did you mean "${meant}"?`;
}

export function noPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
}
