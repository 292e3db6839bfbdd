/**
 * `peer5-reporter`: the product on the command line. The same core the Lambdas run, pointed at
 * the embedded simulator and local folders by default, or at the real API, S3 and SES.
 */
import { pathToFileURL } from 'node:url';
import { COMMANDS, type CommandIo, commandHelp, mainHelp } from './cli/commands.ts';
import { EXIT, UsageError } from './cli/options.ts';

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
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    streams.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    streams.stderr.write(`peer5-reporter: unknown command "${name}"\n\n${mainHelp()}\n`);
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
