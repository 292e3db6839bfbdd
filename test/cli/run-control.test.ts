/** The run's deadline and stop signals, with a stand-in for the process's signals and exit. */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT, UsageError } from '../../bin/cli/options.ts';
import {
  DEFAULT_DEADLINES,
  deadlineOf,
  parseDuration,
  type RunControl,
  SAME_SIGNAL_MS,
  type SignalSource,
  startRunControl,
} from '../../bin/cli/run-control.ts';

describe('parseDuration', () => {
  it('reads a whole number with a unit of ms, s, m or h', () => {
    expect(parseDuration('1500ms')).toBe(1_500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', '15', 'm', '1.5h', '-5s', '2d', '1h30m', '15 minutes']) {
      expect(parseDuration(text), text).toBeNull();
    }
  });
});

describe('deadlineOf', () => {
  it("gives each command's default when --deadline is not set", () => {
    expect(deadlineOf({}, 'run')).toBe(15 * 60_000);
    expect(deadlineOf({}, 'backfill')).toBe(12 * 3_600_000);
    for (const command of Object.keys(DEFAULT_DEADLINES) as (keyof typeof DEFAULT_DEADLINES)[]) {
      expect(deadlineOf({}, command)).toBe(parseDuration(DEFAULT_DEADLINES[command]));
    }
  });

  it('refuses a bad --deadline as bad usage, naming the flag and the rule', () => {
    for (const text of ['soon', '0s', '999ms', '169h']) {
      const attempt = () => deadlineOf({ deadline: text }, 'run');
      expect(attempt, text).toThrow(UsageError);
      expect(attempt, text).toThrow(
        /^--deadline must be a whole number with a unit, ms, s, m or h .* from 1s to 168h/,
      );
    }
    expect(deadlineOf({ deadline: '90s' }, 'run')).toBe(90_000);
  });
});

class FakeSignals extends EventEmitter implements SignalSource {
  send(signal: 'SIGINT' | 'SIGTERM'): void {
    this.emit(signal, signal);
  }
}

describe('startRunControl', () => {
  let control: RunControl | undefined;
  // The fake clock moves timers and Date.now together, so waits of seconds take no time.
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    control?.dispose();
    vi.useRealTimers();
  });

  function start(durationMs = 60_000) {
    const signals = new FakeSignals();
    const alerts: string[] = [];
    const exits: number[] = [];
    control = startRunControl({
      durationMs,
      alert: (line) => alerts.push(line),
      signals,
      exit: (code) => exits.push(code),
    });
    return { control, signals, alerts, exits };
  }

  it('aborts its signal on the first SIGINT and says so, without exiting', () => {
    const { control, signals, alerts, exits } = start();
    signals.send('SIGINT');
    expect(control.signal.aborted).toBe(true);
    expect(alerts.join('\n')).toMatch(/Interrupted \(SIGINT\): stopping\. Windows already written stay/);
    expect(exits).toEqual([]);
  });

  it('counts a copy of the same Ctrl-C that arrives at once as one, and exits 1 on a later one', () => {
    const { signals, exits } = start();
    signals.send('SIGINT');
    // npm forwards the terminal's Ctrl-C to the command, which also got it from the terminal.
    signals.send('SIGINT');
    signals.send('SIGTERM');
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(SAME_SIGNAL_MS + 50);
    signals.send('SIGINT');
    expect(exits).toEqual([1]);
  });

  it('exits 1 when the run has not stopped a grace period after the first Ctrl-C', () => {
    const { signals, alerts, exits } = start(1_000);
    signals.send('SIGTERM');
    vi.advanceTimersByTime(999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([1]);
    expect(alerts.at(-1)).toMatch(/did not stop within 1s of SIGTERM; exiting now/);
  });

  it('exits 1 when the run has not stopped a grace period after its deadline', () => {
    const { control, alerts, exits } = start(1_000);
    expect(control.deadline - Date.now()).toBe(1_000);
    expect(control.reserveMs).toBe(100);
    vi.advanceTimersByTime(1_999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([1]);
    expect(alerts.at(-1)).toMatch(/did not stop within 1s of its deadline; exiting now/);
  });

  it('gives a long run a grace of ten seconds at most', () => {
    const { exits } = start(3_600_000);
    vi.advanceTimersByTime(3_600_000 + 9_999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([1]);
  });

  it('does nothing more once disposed', () => {
    const { control, signals, exits } = start(1_000);
    control.dispose();
    signals.send('SIGINT');
    vi.advanceTimersByTime(60_000);
    expect(control.signal.aborted).toBe(false);
    expect(exits).toEqual([]);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('still absorbs a late copy of the stopping keypress once disposed, and quits at once on a real second one', () => {
    const { control, signals, alerts, exits } = start();
    signals.send('SIGINT');
    control.dispose();
    vi.advanceTimersByTime(SAME_SIGNAL_MS - 100);
    signals.send('SIGINT');
    expect(exits).toEqual([]);
    expect(signals.listenerCount('SIGINT')).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(exits).toEqual([]);
    signals.send('SIGINT');
    expect(exits).toEqual([EXIT.failed]);
    expect(alerts.at(-1)).toContain('Stopped at once (SIGINT)');
  });
});
