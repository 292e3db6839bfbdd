import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_WATCH_SETTINGS } from '../../lambdas/core/insights/watch.ts';
import {
  type ReplayHour,
  replayLine,
  replaySummaryOf,
  replayWatch,
} from '../../lambdas/core/insights/watch-replay.ts';
import { DATASETS, type HourOptions, watchInput } from './support/hourly-world.ts';

const DAY = Date.UTC(2026, 10, 19);

/** The 24 hours of DAY, each with its baseline; `today(index)` shapes hour `index` of the day. */
function day(today: (index: number) => HourOptions = () => ({})): ReplayHour[] {
  return Array.from({ length: 24 }, (_, index) =>
    watchInput(DAY + index * TIME.HOUR, (daysBack) => (daysBack === 0 ? today(index) : {})),
  );
}

const ACME_DE = { where: { country: 'DE', isp: 'Telekom' }, p2pFactor: 0.2 };

describe('the watch replayed over a past day', () => {
  it('judges every hour of a normal day and would have sent nothing', () => {
    const replay = replayWatch(day(), DEFAULT_WATCH_SETTINGS, 'UTC');
    expect(replay.judged).toBe(24);
    expect(replay.events).toEqual([]);
    expect(replayLine(replay)).toBe('Offload watch: no alert for 2026-11-19 (24 of 24 hours judged)');
    expect(replaySummaryOf(replay)).toMatchObject({
      date: '2026-11-19',
      hours: 24,
      hoursJudged: 24,
      alerted: false,
    });
  });

  it('would have alerted once in the incident’s first hour, and recovered in the first hour after it', () => {
    const replay = replayWatch(
      day((index) => (index >= 14 && index < 17 ? { incident: ACME_DE } : {})),
      DEFAULT_WATCH_SETTINGS,
      'UTC',
    );
    expect(replay.events.map((event) => [event.kind, event.hour.start])).toEqual([
      ['alert', '2026-11-19T14:00:00.000Z'],
      ['recovered', '2026-11-19T17:00:00.000Z'],
    ]);
    expect(replay.events[0]?.blame?.values).toEqual(['DE', 'Telekom']);
    expect(replayLine(replay)).toMatch(
      /^Offload watch: would have alerted for 2026-11-19 \(24 of 24 hours judged\): 14:00Z offload down \d+\.\d pts, ISP Telekom DE explains \d+%, recovered 17:00Z$/,
    );
    const [alert] = replaySummaryOf(replay).alerts;
    expect(alert).toMatchObject({
      hour: '2026-11-19T14:00:00.000Z',
      segment: 'ISP Telekom DE',
      recoveredHour: '2026-11-19T17:00:00.000Z',
    });
    // The closed incident is kept, as the Lambda's state keeps it for the morning report.
    expect(replay.state.closed).toHaveLength(1);
  });

  it('counts an hour whose windows are missing as not judged, and says the incident is still open', () => {
    const replay = replayWatch(
      day((index) => ({
        ...(index === 3 ? { missing: DATASETS.map((window) => window.dataset) } : {}),
        ...(index >= 22 ? { incident: ACME_DE } : {}),
      })),
      DEFAULT_WATCH_SETTINGS,
      'UTC',
    );
    expect(replay.judged).toBe(23);
    expect(replayLine(replay)).toMatch(
      /\(23 of 24 hours judged\): 22:00Z .*, still open at the end of the day$/,
    );
  });
});
