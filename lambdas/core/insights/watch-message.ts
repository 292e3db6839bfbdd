/**
 * What the watch sends: one typed event per notification, and two renderings of it.
 *
 * - `WatchEvent` (schema `peer5-reporter/offload-watch`, version 1): the stable shape for code,
 *   e.g. the CLI's `--json`. New fields may be added within a version; none is removed or changes
 *   meaning without a new version.
 * - `chatbotNotificationOf`: the SNS message body. It is an AWS Chatbot (Amazon Q Developer in
 *   chat applications) custom notification (`version` "1.0", `source` "custom"), so a topic
 *   subscribed by Chatbot shows it in Slack or Teams as it is; the recovered message threads under
 *   its alert (`threadId` is the incident id). Other subscribers (a Lambda calling PagerDuty,
 *   say) read the event's fields from `metadata.additionalContext`, flat strings as Chatbot
 *   requires, with `incidentId` as the de-duplication key.
 * - `watchEmailOf`: the plain, short email naming the segment, the drop and the time.
 */
import { formatPercent } from '../report/format.ts';
import { localClock, localDateOf, localIsoMinute, longDate } from '../report/time.ts';
import type { WatchNotification } from './incident.ts';
import { recoveryPtsOf } from './incident.ts';
import { pointsChangeText, shareExplainedText } from './wording.ts';

export const WATCH_EVENT_SCHEMA = 'peer5-reporter/offload-watch';
export const WATCH_EVENT_VERSION = 1;

export interface WatchEventHour {
  /** ISO 8601 UTC instants. */
  readonly start: string;
  readonly end: string;
  /** The start in the report's time zone, with its offset: `2026-11-30T15:00+01:00`. */
  readonly localStart: string;
  readonly timeZone: string;
}

export interface WatchEvent {
  readonly schema: typeof WATCH_EVENT_SCHEMA;
  readonly version: typeof WATCH_EVENT_VERSION;
  readonly kind: 'alert' | 'recovered';
  readonly incidentId: string;
  /** The hour this message is about: the one that alerted, or the one that recovered. */
  readonly hour: WatchEventHour;
  /** When the incident started: the first hour that alerted. */
  readonly incidentStart: WatchEventHour;
  readonly offload: number;
  readonly baselineOffload: number;
  /** Points below the baseline: positive for a drop. */
  readonly dropPts: number;
  readonly thresholdPts: number;
  /** The worst drop of the incident (recovered messages), or the alert's drop. */
  readonly worstDropPts: number;
  /** Who the alert blamed; kept unchanged in the recovered message. */
  readonly blame: {
    readonly dimensions: readonly string[];
    readonly values: readonly (string | null)[];
    readonly segment: string;
    readonly shareExplained: number;
  } | null;
  /** Breakdown datasets whose windows were missing, so they were not blamed. */
  readonly unchecked: readonly string[];
}

function hourOf(start: number, timeZone: string): WatchEventHour {
  return {
    start: new Date(start).toISOString(),
    end: new Date(start + 3_600_000).toISOString(),
    localStart: localIsoMinute(start, timeZone),
    timeZone,
  };
}

export function watchEventOf(
  notification: WatchNotification,
  options: { readonly timeZone: string },
): WatchEvent {
  const { incident, check } = notification;
  const figures = check.figures;
  return {
    schema: WATCH_EVENT_SCHEMA,
    version: WATCH_EVENT_VERSION,
    kind: notification.kind,
    incidentId: incident.id,
    hour: hourOf(check.hour.start, options.timeZone),
    incidentStart: hourOf(incident.startHour, options.timeZone),
    offload: figures.offload as number,
    baselineOffload: figures.baselineOffload as number,
    dropPts: figures.dropPts as number,
    thresholdPts: figures.thresholdPts,
    worstDropPts: notification.kind === 'alert' ? incident.dropPts : incident.worstDropPts,
    blame:
      incident.blame === null
        ? null
        : {
            dimensions: incident.blame.dimensions,
            values: incident.blame.values,
            segment: incident.blame.name,
            shareExplained: incident.blame.shareExplained,
          },
    unchecked: incident.unchecked,
  };
}

function localHour(hour: WatchEventHour): { date: string; clock: string; range: string } {
  const start = Date.parse(hour.start);
  const end = Date.parse(hour.end);
  return {
    date: localDateOf(start, hour.timeZone),
    clock: localClock(start, hour.timeZone),
    range: `${localClock(start, hour.timeZone)}–${localClock(end, hour.timeZone)}`,
  };
}

function zoneText(hour: WatchEventHour): string {
  const offset = hour.localStart.slice(16);
  return hour.timeZone === 'UTC' ? 'UTC' : `${hour.timeZone}, UTC${offset}`;
}

/** `−16.1 pts vs usual`: the change as the report writes it. */
function changeVsUsual(event: WatchEvent): string {
  return `${pointsChangeText(-event.dropPts)} vs usual`;
}

function blameLine(event: WatchEvent, tense: 'explains' | 'explained'): string | null {
  if (event.blame === null) return null;
  return `${event.blame.segment} ${tense} ${shareExplainedText(event.blame.shareExplained)} of the drop.`;
}

export interface WatchEmail {
  readonly subject: string;
  readonly text: string;
}

export function watchEmailOf(event: WatchEvent): WatchEmail {
  const hour = localHour(event.hour);
  const started = localHour(event.incidentStart);
  const usual = formatPercent(event.baselineOffload);
  const lines: (string | null)[] = [];
  let subject: string;
  if (event.kind === 'alert') {
    const why =
      event.blame === null
        ? ''
        : `, ${event.blame.segment} explains ${shareExplainedText(event.blame.shareExplained)}`;
    subject = `Peer5 offload alert ${hour.date} ${hour.clock}: ${formatPercent(event.offload)} (${changeVsUsual(event)})${why}`;
    lines.push(
      `Offload fell to ${formatPercent(event.offload)} in the hour ${hour.range} on ${longDate(hour.date)} (${zoneText(event.hour)}).`,
      `That is ${event.dropPts.toFixed(1)} pts below its usual ${usual} for that hour (the median of the same hour over the previous 7 days); the alert threshold is ${event.thresholdPts.toFixed(1)} pts.`,
      blameLine(event, 'explains') ??
        'No single segment explains a quarter of the drop: it is spread widely.',
      event.unchecked.length > 0 ? `Not checked, windows missing: ${event.unchecked.join(', ')}.` : null,
      `You get one more message, when offload is back within ${recoveryPtsOf(event.thresholdPts).toFixed(1)} pts of its usual level.`,
    );
  } else {
    subject = `Peer5 offload recovered ${hour.date} ${hour.clock}: ${formatPercent(event.offload)} (${changeVsUsual(event)}), incident since ${started.date === hour.date ? started.clock : `${started.date} ${started.clock}`}`;
    const distance = Math.abs(event.dropPts).toFixed(1);
    lines.push(
      `Offload is back: ${formatPercent(event.offload)} in the hour ${hour.range} on ${longDate(hour.date)} (${zoneText(event.hour)}), ${distance} pts ${event.dropPts >= 0 ? 'below' : 'above'} its usual ${usual}.`,
      `The incident started in the hour ${started.range} on ${longDate(started.date)}; its worst drop was ${event.worstDropPts.toFixed(1)} pts.`,
      blameLine(event, 'explained'),
    );
  }
  lines.push(`Incident ${event.incidentId}`);
  return { subject, text: `${lines.filter((line) => line !== null).join('\n')}\n` };
}

/** An AWS Chatbot custom notification: see the module comment. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: 'OffloadDropAlert' | 'OffloadRecovered';
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** The event's fields as flat strings; absent values are empty strings. */
export function flatEventContext(event: WatchEvent): Record<string, string> {
  return {
    schema: event.schema,
    schemaVersion: String(event.version),
    kind: event.kind,
    incidentId: event.incidentId,
    hourStart: event.hour.start,
    hourLocalStart: event.hour.localStart,
    incidentStart: event.incidentStart.start,
    offload: String(event.offload),
    baselineOffload: String(event.baselineOffload),
    dropPts: String(event.dropPts),
    thresholdPts: String(event.thresholdPts),
    worstDropPts: String(event.worstDropPts),
    dimensions: event.blame?.dimensions.join(',') ?? '',
    values: event.blame ? JSON.stringify(event.blame.values) : '',
    segment: event.blame?.segment ?? '',
    shareExplained: event.blame ? String(event.blame.shareExplained) : '',
    unchecked: event.unchecked.join(','),
  };
}

export function chatbotNotificationOf(event: WatchEvent): ChatbotNotification {
  const email = watchEmailOf(event);
  return {
    version: '1.0',
    source: 'custom',
    id: `${event.incidentId}:${event.kind}`,
    content: {
      textType: 'client-markdown',
      title: `${event.kind === 'alert' ? ':rotating_light:' : ':white_check_mark:'} ${email.subject}`,
      description: email.text.trimEnd(),
      keywords: ['peer5', 'offload', event.kind],
    },
    metadata: {
      threadId: event.incidentId,
      summary: email.subject,
      eventType: event.kind === 'alert' ? 'OffloadDropAlert' : 'OffloadRecovered',
      additionalContext: flatEventContext(event),
    },
  };
}
