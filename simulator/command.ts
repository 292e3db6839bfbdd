/**
 * `peer5-reporter simulator`: runs the Peer5 API simulator in the foreground until SIGINT or
 * SIGTERM, for local runs and demos.
 */
import { parseArgs } from 'node:util';
import { parseInstant } from '../lambdas/core/dates.ts';
import { withFlagSuggestion } from '../lambdas/core/spelling.ts';
import { INCIDENT_SHAPE, parseIncident } from './incidents.ts';
import {
  DEFAULT_HOST,
  DEFAULT_LATE_DATA_DELAY_MS,
  DEFAULT_TOKENS,
  type SimulatorOptions,
  startSimulator,
} from './index.ts';
import { DEFAULT_SEGMENTS, SEGMENT_LIMITS } from './population.ts';
import { DEFAULT_RATE_WINDOW_MS, parseInteger, SimulatorConfigError } from './settings.ts';

const DEFAULT_PORT = 8787;
const MINUTE_MS = 60_000;

export const SIMULATOR_USAGE = `Usage: peer5-reporter simulator [options]

Runs a local stand-in for the Peer5 Data Export API (POST <url>/export) with deterministic data.

Options:
  --port N                 port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host ADDRESS           address to listen on (default ${DEFAULT_HOST})
  --seed N                 seed of the generated data, 0 to 4294967295 (default 1)
  --now ISO                freeze the clock at this time, e.g. 2024-05-01T12:00:00Z (default: real time)
  --segments N             segments in the population, ${SEGMENT_LIMITS.min} to ${SEGMENT_LIMITS.max} (default ${DEFAULT_SEGMENTS})
  --rate-limit N           answer 429 after N requests in a minute (default: no limit)
  --late-data-delay MIN    minutes after a bucket ends during which its numbers still grow (default ${DEFAULT_LATE_DATA_DELAY_MS / MINUTE_MS})
  --token TOKEN            an accepted X-Auth-Token; repeat for several (default ${DEFAULT_TOKENS.join(', ')})
  --incident JSON          stage an incident, repeatable: ${INCIDENT_SHAPE}
  --help                   show this help

Admin endpoints (no token): POST /_sim/clock {"now": ms}, POST /_sim/faults {"faults": [...]},
POST /_sim/config {"segments", "rateLimit", "lateDataDelayMs"}, GET /_sim/state,
POST /_sim/incidents {"incidents": [...]} (GET lists them, DELETE clears them).
`;

/** A flag value that breaks its rule; the message names the flag. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  // A non-numeric string is passed through so the shared validator reports it as given.
  const parsed = /^-?\d+$/.test(value) ? Number(value) : value;
  return parseInteger(parsed, flag, min, max);
}

function timeFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(value);
  if (ms === null) {
    throw new UsageError(
      `"${flag}" must be an ISO 8601 date, or date-time with Z or an offset, such as 2024-05-01T12:00:00Z; got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  now: { type: 'string' },
  segments: { type: 'string' },
  'rate-limit': { type: 'string' },
  'late-data-delay': { type: 'string' },
  token: { type: 'string', multiple: true },
  incident: { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

function optionsFrom(argv: string[]): SimulatorOptions | 'help' {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: FLAGS });
  if (values.help) return 'help';
  const options: SimulatorOptions = { port: integerFlag(values.port, '--port', 0, 65_535) ?? DEFAULT_PORT };
  if (values.host !== undefined) {
    if (values.host === '') throw new UsageError('"--host" must not be empty');
    options.host = values.host;
  }
  const seed = integerFlag(values.seed, '--seed', 0, 0xffff_ffff);
  if (seed !== undefined) options.seed = seed;
  const now = timeFlag(values.now, '--now');
  if (now !== undefined) options.now = now;
  const segments = integerFlag(values.segments, '--segments', SEGMENT_LIMITS.min, SEGMENT_LIMITS.max);
  if (segments !== undefined) options.segments = segments;
  const rateLimit = integerFlag(values['rate-limit'], '--rate-limit', 1, Number.MAX_SAFE_INTEGER);
  if (rateLimit !== undefined) options.rateLimit = { requests: rateLimit, windowMs: DEFAULT_RATE_WINDOW_MS };
  const lateMinutes = integerFlag(values['late-data-delay'], '--late-data-delay', 0, 30 * 24 * 60);
  if (lateMinutes !== undefined) options.lateDataDelayMs = lateMinutes * MINUTE_MS;
  if (values.token !== undefined) {
    if (values.token.some((token) => token === '')) throw new UsageError('"--token" must not be empty');
    options.tokens = values.token;
  }
  if (values.incident !== undefined) {
    options.incidents = values.incident.map((text, index) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error: unknown) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new UsageError(`"--incident" number ${index + 1} is not JSON (${reason}): ${INCIDENT_SHAPE}`);
      }
      return parseIncident(parsed, `--incident[${index}]`);
    });
  }
  return options;
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs the simulator command; resolves to the process exit code. */
export async function simulatorCommand(argv: string[]): Promise<number> {
  let options: SimulatorOptions | 'help';
  try {
    options = optionsFrom(argv);
  } catch (error: unknown) {
    const message = withFlagSuggestion(
      error instanceof Error ? error.message : String(error),
      Object.keys(FLAGS),
    );
    process.stderr.write(`peer5-reporter simulator: ${message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(SIMULATOR_USAGE);
    return 0;
  }

  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator(options);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`peer5-reporter simulator: ${message}\n`);
    return error instanceof SimulatorConfigError ? 2 : 1;
  }
  const stopped = waitForStopSignal();
  process.stdout.write(`Peer5 API simulator listening on ${simulator.url}\n`);
  process.stdout.write(`Export endpoint: POST ${simulator.url}/export\n`);
  if (options.tokens === undefined) {
    // Only the built-in demo token is ever printed; tokens given on the command line are not.
    process.stdout.write(`Accepted X-Auth-Token: ${DEFAULT_TOKENS.join(', ')}\n`);
  }
  process.stdout.write('Press Ctrl+C to stop.\n');
  const signal = await stopped;
  await simulator.close();
  process.stdout.write(`Simulator stopped (${signal}).\n`);
  return 0;
}
