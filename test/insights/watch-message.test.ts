import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  INITIAL_WATCH_STATE,
  nextWatchState,
  type WatchNotification,
} from '../../lambdas/core/insights/incident.ts';
import { checkOffload } from '../../lambdas/core/insights/watch.ts';
import {
  chatbotNotificationOf,
  WATCH_EVENT_SCHEMA,
  watchEmailOf,
  watchEventOf,
} from '../../lambdas/core/insights/watch-message.ts';
import { dropCheck, hourAt, steadyCheck } from './support/checks.ts';
import { watchInput } from './support/hourly-world.ts';

function notificationsOf(checks: Parameters<typeof nextWatchState>[1][]): WatchNotification[] {
  let state = INITIAL_WATCH_STATE;
  const sent: WatchNotification[] = [];
  for (const check of checks) {
    const next = nextWatchState(state, check, check.hour.end + 5 * TIME.MINUTE);
    state = next.state;
    sent.push(...next.notifications);
  }
  return sent;
}

const [alert, recovered] = notificationsOf([dropCheck(1, 8), dropCheck(2, 11), steadyCheck(5, -0.4)]);
const timeZone = 'Europe/Berlin';

describe('the watch event', () => {
  it('has a stable, versioned shape', () => {
    const event = watchEventOf(alert as WatchNotification, { timeZone });
    expect(event).toEqual({
      schema: WATCH_EVENT_SCHEMA,
      version: 1,
      kind: 'alert',
      incidentId: 'offload-drop-2026-11-30T14:00Z',
      hour: {
        start: '2026-11-30T14:00:00.000Z',
        end: '2026-11-30T15:00:00.000Z',
        localStart: '2026-11-30T15:00+01:00',
        timeZone,
      },
      incidentStart: {
        start: '2026-11-30T14:00:00.000Z',
        end: '2026-11-30T15:00:00.000Z',
        localStart: '2026-11-30T15:00+01:00',
        timeZone,
      },
      offload: expect.closeTo(0.5, 12),
      baselineOffload: 0.58,
      dropPts: 8,
      thresholdPts: 5,
      worstDropPts: 8,
      blame: {
        dimensions: ['country.code', 'isp.name'],
        values: ['DE', 'Acme'],
        segment: 'ISP Acme DE',
        shareExplained: 0.85,
      },
      unchecked: [],
    });
    const back = watchEventOf(recovered as WatchNotification, { timeZone });
    expect(back.kind).toBe('recovered');
    expect(back.hour.start).toBe(new Date(hourAt(5)).toISOString());
    expect(back.worstDropPts).toBe(11);
    expect(back.blame?.segment).toBe('ISP Acme DE');
  });
});

describe('the watch email', () => {
  it('names the segment, the drop and the time in the subject and a few plain lines', () => {
    const email = watchEmailOf(watchEventOf(alert as WatchNotification, { timeZone }));
    expect(email.subject).toBe(
      'Peer5 offload alert 2026-11-30 15:00: 50.0% (−8.0 pts vs usual), ISP Acme DE explains 85%',
    );
    expect(email.text).toBe(
      [
        'Offload fell to 50.0% in the hour 15:00–16:00 on Monday, 30 November 2026 (Europe/Berlin, UTC+01:00).',
        'That is 8.0 pts below its usual 58.0% for that hour (the median of the same hour over the previous 7 days); the alert threshold is 5.0 pts.',
        'ISP Acme DE explains 85% of the drop.',
        'You get one more message, when offload is back within 2.5 pts of its usual level.',
        'Incident offload-drop-2026-11-30T14:00Z',
        '',
      ].join('\n'),
    );
  });

  it('says when offload is back and since when the incident ran', () => {
    const email = watchEmailOf(watchEventOf(recovered as WatchNotification, { timeZone }));
    expect(email.subject).toBe(
      'Peer5 offload recovered 2026-11-30 19:00: 58.4% (+0.4 pts vs usual), incident since 15:00',
    );
    expect(email.text).toContain(
      'Offload is back: 58.4% in the hour 19:00–20:00 on Monday, 30 November 2026 (Europe/Berlin, UTC+01:00), 0.4 pts above its usual 58.0%.',
    );
    expect(email.text).toContain('its worst drop was 11.0 pts');
    expect(email.text).toContain('ISP Acme DE explained 85% of the drop.');
  });

  it('says so when nobody is to blame or a breakdown could not be checked', () => {
    const [unblamed] = notificationsOf([
      { ...dropCheck(1, 8, null), unchecked: [{ dataset: 'by_browser_os_1h', hour: hourAt(1) }] } as never,
    ]);
    const email = watchEmailOf(watchEventOf(unblamed as WatchNotification, { timeZone: 'UTC' }));
    expect(email.subject).toBe('Peer5 offload alert 2026-11-30 14:00: 50.0% (−8.0 pts vs usual)');
    expect(email.text).toContain('(UTC).');
    expect(email.text).toContain('No single segment explains a quarter of the drop');
    expect(email.text).toContain('Not checked, windows missing: by_browser_os_1h.');
  });

  it('comes out of a real check of the lake’s windows', () => {
    const hour = Date.UTC(2026, 10, 30, 14);
    const check = checkOffload(
      watchInput(hour, (daysBack) =>
        daysBack === 0 ? { incident: { where: { country: 'DE', isp: 'Telekom' }, p2pFactor: 0.1 } } : {},
      ),
    );
    const [notification] = nextWatchState(INITIAL_WATCH_STATE, check, hour + 75 * TIME.MINUTE).notifications;
    const email = watchEmailOf(watchEventOf(notification as WatchNotification, { timeZone: 'UTC' }));
    expect(email.subject).toBe(
      'Peer5 offload alert 2026-11-30 14:00: 50.1% (−8.9 pts vs usual), ISP Telekom DE explains 100%',
    );
  });
});

describe('the SNS message', () => {
  it('is an AWS Chatbot custom notification, threaded by incident, with the event as flat strings', () => {
    const event = watchEventOf(alert as WatchNotification, { timeZone });
    const message = chatbotNotificationOf(event);
    expect(message.version).toBe('1.0');
    expect(message.source).toBe('custom');
    expect(message.id).toBe('offload-drop-2026-11-30T14:00Z:alert');
    expect(message.content.description).toBe(watchEmailOf(event).text.trimEnd());
    expect(message.content.title).toContain(watchEmailOf(event).subject);
    expect(message.metadata.threadId).toBe(event.incidentId);
    expect(message.metadata.eventType).toBe('OffloadDropAlert');
    const context = message.metadata.additionalContext;
    expect(Object.values(context).every((value) => typeof value === 'string')).toBe(true);
    expect(context).toMatchObject({
      schema: WATCH_EVENT_SCHEMA,
      schemaVersion: '1',
      kind: 'alert',
      incidentId: event.incidentId,
      dropPts: '8',
      segment: 'ISP Acme DE',
      dimensions: 'country.code,isp.name',
      values: '["DE","Acme"]',
      shareExplained: '0.85',
    });
    const back = chatbotNotificationOf(watchEventOf(recovered as WatchNotification, { timeZone }));
    expect(back.metadata.threadId).toBe(event.incidentId);
    expect(back.metadata.eventType).toBe('OffloadRecovered');
    expect(JSON.parse(JSON.stringify(back))).toEqual(back);
  });
});
