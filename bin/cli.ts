/**
 * `peer5-reporter`: the product on the command line. The same core the Lambdas run, pointed at
 * the embedded simulator and local folders by default, or at the real API, S3 and SES.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type CommandIo, meantOf } from './cli/commands/command.ts';
import { COMMANDS, commandHelp, mainHelp } from './cli/commands.ts';
import { EXIT, UsageError } from './cli/options.ts';

/** The version in package.json, read where the CLI is installed (a clone, or npm link / -g). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Runs one command line and returns its exit code; never throws. */
export async function main(argv: readonly string[], io?: Partial<CommandIo>): Promise<number> {
  const streams: CommandIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    cwd: io?.cwd ?? process.cwd(),
  };
  const [first, ...afterFirst] = argv;
  if (first === '--version' || first === '-v') {
    streams.stdout.write(`peer5-reporter ${packageVersion()}\n`);
    return EXIT.ok;
  }
  // `help COMMAND` is `COMMAND --help`.
  const [name, ...rest] = first === 'help' && afterFirst.length > 0 ? [...afterFirst, '--help'] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    streams.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const known = [...COMMANDS.map((candidate) => candidate.name), 'help', '--help', '--version'];
    streams.stderr.write(
      `peer5-reporter: unknown command "${name}"${meantOf(name, known)}\n\n${mainHelp()}\n`,
    );
    return EXIT.usage;
  }
  if (command.name !== 'simulator' && (rest.includes('--help') || rest.includes('-h'))) {
    streams.stdout.write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, streams);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      streams.stderr.write(
        `peer5-reporter ${command.name}: ${error.message}\nSee: peer5-reporter ${command.name} --help\n`,
      );
      return EXIT.usage;
    }
    streams.stderr.write(`peer5-reporter ${command.name} failed: ${describeError(error)}\n`);
    return EXIT.failed;
  }
}

/** Runs the process's command line and sets its exit code. */
export async function runProcess(): Promise<void> {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // The command is over: a connection it gave up on (at its deadline, say) must not keep the
  // process alive. The timer is unref'd, so a process with nothing left exits without it.
  setTimeout(() => process.exit(code), LINGER_MS).unref();
}

/** How long a finished command's process may linger for buffered output. */
const LINGER_MS = 1_000;

// Run when executed directly (`tsx bin/cli.ts ...`).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runProcess();
