/**
 * How a command's run ends: by itself, at its deadline (`--deadline`), or when asked to stop
 * (Ctrl-C, SIGTERM). Like a Lambda run that reaches its deadline, a stopped run keeps what it has
 * written and leaves the rest for the next run, and nothing keeps the process alive for long after
 * the deadline or the stop request: past a short grace period it exits with EXIT.failed.
 *
 * Signals: the first SIGINT or SIGTERM aborts `signal`, which cancels requests in flight and
 * backoff sleeps; a later one exits at once. A terminal sends Ctrl-C to every process of its
 * foreground group, and `npm exec` (npx) also forwards the signal it receives to its child, so
 * one keypress can reach the command twice within milliseconds: copies that come within
 * SAME_SIGNAL_MS of the first count as that one.
 */
import { EXIT, type FlagSpec, type FlagValues, stringFlag, UsageError } from './options.ts';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MIN_DEADLINE_MS = 1_000;
const MAX_DEADLINE_MS = 168 * UNIT_MS.h;
/** A second signal sooner than this after the first is the same keypress delivered twice. */
export const SAME_SIGNAL_MS = 500;
/** The longest grace after the deadline or a stop request before the process exits regardless. */
const MAX_GRACE_MS = 10_000;
/** The longest time kept free before the deadline, in which no new window starts (as in Lambda). */
const MAX_RESERVE_MS = 10_000;

/** Each command's deadline when --deadline is not given: a scheduled run's is a Lambda's timeout. */
export const DEFAULT_DEADLINES = {
  start: '5m',
  run: '15m',
  report: '5m',
  backfill: '12h',
  plan: '2m',
} as const;

export type DeadlineCommand = keyof typeof DEFAULT_DEADLINES;

export function deadlineFlag(command: DeadlineCommand): FlagSpec {
  return {
    type: 'string',
    value: 'DURATION',
    help: `stop by then, e.g. 90s, 15m, 2h (default ${DEFAULT_DEADLINES[command]}); written windows stay`,
  };
}

/** --quiet and --no-progress, for the commands that report as they work. */
export const OUTPUT_FLAGS = {
  quiet: { type: 'boolean', help: 'print only the result and errors: no notes, waits or progress' },
  'no-progress': { type: 'boolean', help: 'no progress line; notes and waits are still printed' },
} as const satisfies Record<string, FlagSpec>;

/** "90s", "15m", "2h", "1500ms" in milliseconds, or null when the text is no such duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The run's length from --deadline, or the command's default; a bad value is bad usage. */
export function deadlineOf(values: FlagValues, command: DeadlineCommand): number {
  const text = stringFlag(values, 'deadline') ?? DEFAULT_DEADLINES[command];
  const ms = parseDuration(text);
  if (ms === null || ms < MIN_DEADLINE_MS || ms > MAX_DEADLINE_MS) {
    throw new UsageError(
      `--deadline must be a whole number with a unit, ms, s, m or h (90s, 15m, 2h), from 1s to 168h; got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/** What delivers signals: the process, or a stand-in in tests. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface RunControlOptions {
  readonly durationMs: number;
  /** Says what happens (interrupted, stopping, exiting), even under --quiet. */
  readonly alert: (line: string) => void;
  readonly signals?: SignalSource;
  readonly exit?: (code: number) => void;
}

export interface RunControl {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the run stops. */
  readonly deadline: number;
  /** Time kept free before the deadline: no window starts within it. */
  readonly reserveMs: number;
  /** Ends the watch: signal handlers and timers are removed. */
  dispose(): void;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

export function startRunControl(options: RunControlOptions): RunControl {
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const { durationMs, alert } = options;
  const deadline = Date.now() + durationMs;
  const graceMs = Math.min(MAX_GRACE_MS, Math.max(1_000, durationMs / 10));
  const controller = new AbortController();
  let firstSignalAt: number | undefined;
  let stopTimer: NodeJS.Timeout | undefined;

  const exitAfterGrace = (why: string) =>
    setTimeout(() => {
      alert(`${why}; exiting now. Windows already written stay; run the command again to go on.`);
      exit(EXIT.failed);
    }, graceMs).unref();

  // Unref'd, like every timer here: a run that ends in time exits without waiting for them.
  const deadlineTimer = setTimeout(() => {
    stopTimer ??= exitAfterGrace(`The run did not stop within ${seconds(graceMs)} of its deadline`);
  }, durationMs).unref();

  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      controller.abort(new Error(`stopped by ${signal}`));
      alert(
        `\nInterrupted (${signal}): stopping. Windows already written stay; the rest is left for the next run. Press Ctrl-C again to quit at once.`,
      );
      clearTimeout(stopTimer);
      stopTimer = exitAfterGrace(`The run did not stop within ${seconds(graceMs)} of ${signal}`);
      return;
    }
    if (now - firstSignalAt < SAME_SIGNAL_MS) return;
    alert(`Stopped at once (${signal}). Windows already written stay; run the command again to go on.`);
    exit(EXIT.failed);
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);

  return {
    signal: controller.signal,
    deadline,
    reserveMs: Math.min(MAX_RESERVE_MS, durationMs / 10),
    dispose() {
      clearTimeout(deadlineTimer);
      clearTimeout(stopTimer);
      // After a stop request the handlers stay: the copy of the same keypress that npm or npx
      // forwards can come after the run has already stopped, and without a handler Node would die
      // of it, so that npm, seeing its child killed by a signal, kills itself the same way.
      if (firstSignalAt !== undefined) return;
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
    },
  };
}
