import { describe, expect, it } from 'vitest';
import { parseDatasets } from '../../lambdas/core/datasets.ts';
import { ApiTokenError, tokenOfSecret } from '../../lambdas/core/token.ts';
import {
  EventError,
  parseBackfillEvent,
  parseExportEvent,
  parseReportEvent,
} from '../../lambdas/handlers/events.ts';
import { deadlineOf } from '../../lambdas/handlers/middleware.ts';

/** What an EventBridge rule's schedule sends (the `ScheduledEvent` of @types/aws-lambda). */
const RULE_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2024-05-11T08:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/peer5-report'],
  detail: {},
};

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error: unknown) {
    if (error instanceof EventError) return error.message;
    throw error;
  }
  return 'accepted';
}

const DATASETS = parseDatasets([
  { name: 'hourly_totals', interval: '1h', metrics: ['p2p'], cadence: 'hourly' },
  { name: 'daily_pages', interval: '1d', metrics: ['p2p'], dimensions: ['session.page'], cadence: 'daily' },
]);

describe('a backfill event', () => {
  it('accepts dates, ISO times with a zone and epoch milliseconds', () => {
    expect(parseBackfillEvent({ from: '2024-05-01', to: '2024-05-03T12:00:00Z' }, DATASETS)).toEqual({
      from: Date.UTC(2024, 4, 1),
      to: Date.UTC(2024, 4, 3, 12),
      datasets: DATASETS,
      force: false,
    });
    expect(
      parseBackfillEvent({ from: 1_714_521_600_000, to: '2024-05-02T02:00:00+02:00' }, DATASETS).to,
    ).toBe(Date.UTC(2024, 4, 2));
  });

  it('narrows to the named datasets and passes force on', () => {
    const request = parseBackfillEvent(
      { from: '2024-05-01', to: '2024-05-02', datasets: ['daily_pages'], force: true },
      DATASETS,
    );
    expect(request.datasets.map((dataset) => dataset.name)).toEqual(['daily_pages']);
    expect(request.force).toBe(true);
  });

  it('names the field and the rule of every mistake', () => {
    const problems = (event: unknown) => {
      try {
        parseBackfillEvent(event, DATASETS);
      } catch (error: unknown) {
        if (error instanceof EventError) return error.message;
      }
      return 'accepted';
    };
    expect(problems({ to: '2024-05-02' })).toMatch(/^Invalid backfill event "from": is required/);
    expect(problems({ from: '2024-05-01T00:00:00', to: '2024-05-02' })).toMatch(/"from": must be a date/);
    expect(problems({ from: '2024-02-30', to: '2024-05-02' })).toMatch(/"from": must be a date/);
    expect(problems({ from: '2024-05-02', to: '2024-05-01' })).toBe(
      'Invalid backfill event "to": must be after "from" (the range is [from, to))',
    );
    expect(problems({ from: '2024-05-01', to: '2024-05-02', datasets: ['daily_pages', 'x'] })).toBe(
      'Invalid backfill event "datasets[1]": must be one of hourly_totals, daily_pages',
    );
    expect(problems({ from: '2024-05-01', to: '2024-05-02', force: 'yes' })).toBe(
      'Invalid backfill event "force": must be true or false',
    );
    expect(problems('2024-05-01')).toMatch(/^Invalid backfill event "\(event\)": must be a JSON object/);
    expect(problems({ from: '2014-12-31', to: '2015-01-02' })).toBe(
      'Invalid backfill event "from": must be on or after 2015-01-01, the first day the lake\'s tables show',
    );
  });
});

describe('a key that no event has', () => {
  it('fails a backfill, naming the key and the field it looks like', () => {
    expect(
      refusal(() =>
        parseBackfillEvent(
          { from: '2024-05-01', to: '2024-05-02', datasets: ['daily_pages'], forse: true },
          DATASETS,
        ),
      ),
    ).toBe('Invalid backfill event "forse": is not a field of this event; did you mean "force"?');
    expect(
      refusal(() => parseBackfillEvent({ from: '2024-05-01', to: '2024-05-02', dataset: ['x'] }, DATASETS)),
    ).toBe('Invalid backfill event "dataset": is not a field of this event; did you mean "datasets"?');
    expect(
      refusal(() => parseBackfillEvent({ from: '2024-05-01', to: '2024-05-02', owner: 'me' }, DATASETS)),
    ).toBe(
      'Invalid backfill event "owner": is not a field of this event; its fields are from, to, datasets, force',
    );
  });

  it('fails a report, naming the key and the field it looks like', () => {
    expect(refusal(() => parseReportEvent({ Date: '2026-11-20' }, 0))).toBe(
      'Invalid report event "Date": is not a field of this event; did you mean "date"?',
    );
    expect(refusal(() => parseReportEvent({ when: '2026-11-20', scheduledtime: 'x' }, 0))).toBe(
      [
        'Invalid report event "when": is not a field of this event; its fields are scheduledTime, date',
        'Invalid report event "scheduledtime": is not a field of this event; did you mean "scheduledTime"?',
      ].join('\n'),
    );
  });

  it('fails a scheduled export, which takes no parameters', () => {
    expect(refusal(() => parseExportEvent({ datasets: ['by_page_1d'] }))).toBe(
      'Invalid export event "datasets": is not a field of this event; its fields are scheduledTime',
    );
    expect(refusal(() => parseExportEvent({ ...RULE_EVENT, force: true }))).toMatch(
      /^Invalid export event "version": is not a field of this event/,
    );
  });
});

describe('the events a schedule sends', () => {
  it("are Scheduler's {scheduledTime} payload and an EventBridge rule's scheduled event", () => {
    expect(parseReportEvent({ scheduledTime: '2024-05-11T08:00:00Z' }, 0)).toEqual({
      now: Date.UTC(2024, 4, 11, 8),
    });
    expect(parseReportEvent(RULE_EVENT, 0)).toEqual({ now: Date.UTC(2024, 4, 11, 8) });
    expect(parseExportEvent({ scheduledTime: '2024-05-11T08:15:00Z' })).toEqual({
      scheduledTime: Date.UTC(2024, 4, 11, 8, 15),
    });
    expect(parseExportEvent(RULE_EVENT)).toEqual({ scheduledTime: Date.UTC(2024, 4, 11, 8) });
    expect(parseExportEvent({})).toEqual({});
    expect(parseExportEvent(undefined)).toEqual({});
  });

  it('name a bad scheduled time', () => {
    expect(refusal(() => parseExportEvent({ scheduledTime: 'soon' }))).toBe(
      'Invalid export event "scheduledTime": must be an ISO 8601 time with a zone',
    );
    expect(refusal(() => parseReportEvent({ ...RULE_EVENT, time: 'soon' }, 0))).toBe(
      'Invalid report event "scheduledTime": must be an ISO 8601 time with a zone',
    );
  });
});

describe('a report event', () => {
  it("takes the run's clock from Scheduler's scheduled time", () => {
    expect(parseReportEvent({ scheduledTime: '2024-05-11T08:00:00Z' }, 0)).toEqual({
      now: Date.UTC(2024, 4, 11, 8),
    });
  });

  it('takes a day to send again, and the current time when nothing is given', () => {
    expect(parseReportEvent({ date: '2024-05-01' }, 42)).toEqual({ now: 42, date: '2024-05-01' });
    expect(parseReportEvent(undefined, 42)).toEqual({ now: 42 });
  });

  it('names the field of a bad value', () => {
    expect(() => parseReportEvent({ date: 'yesterday' }, 0)).toThrow(
      'Invalid report event "date": must be a calendar date in the form YYYY-MM-DD',
    );
    expect(() => parseReportEvent({ scheduledTime: 'soon' }, 0)).toThrow(
      'Invalid report event "scheduledTime": must be an ISO 8601 time',
    );
  });
});

describe('the token in a secret', () => {
  it('is the raw value, or the "token" field of a JSON value', () => {
    expect(tokenOfSecret('  abc123\n', 's')).toBe('abc123');
    expect(tokenOfSecret({ token: 'abc123' }, 's')).toBe('abc123');
    // SecretString as the SDK returns it, before anything parsed the JSON.
    expect(tokenOfSecret('{"token": "abc123"}', 's')).toBe('abc123');
  });

  it('is refused, without echoing the value, when the secret holds something else', () => {
    expect(() => tokenOfSecret({ apiKey: 'hunter2' }, 'peer5/token')).toThrow(ApiTokenError);
    expect(() => tokenOfSecret({ apiKey: 'hunter2' }, 'peer5/token')).toThrow(
      'secret "peer5/token" holds a JSON object without a non-empty string "token" field (1 key, not shown: a token may be among them); store the raw API token, or JSON {"token": "<token>"} in it',
    );
    expect(() => tokenOfSecret('', 'peer5/token')).toThrow('secret "peer5/token" is empty; store the raw');
  });
});

describe('the deadline of a run', () => {
  it('leaves the margin before the Lambda timeout', () => {
    expect(deadlineOf({ getRemainingTimeInMillis: () => 600_000 }, 1_000_000)).toBe(1_000_000 + 570_000);
  });
});
