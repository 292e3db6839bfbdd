/**
 * What one watch run found, as plain JSON: the Lambda's result and log fields, and the CLI's
 * `--json`. `alerts` lists the open incident, whether this run raised it or it goes on, with the
 * segment it blames (dimensions and values), the drop and the share explained; `recovered` the
 * incident this run closed.
 */
import { formatPercent } from '../report/format.ts';
import type { WatchEvent } from './watch-message.ts';
import type { WatchRunResult } from './watch-run.ts';

export interface WatchAlertSummary {
  readonly incidentId: string;
  /** `raised` by this run, or `continued` from an earlier one. */
  readonly status: 'raised' | 'continued';
  /** The blamed segment's dimensions and values, aligned; empty when nobody is blamed. */
  readonly dimensions: readonly string[];
  readonly values: readonly (string | null)[];
  /** `ISP Acme DE`, or null. */
  readonly segment: string | null;
  readonly shareExplained: number | null;
  /** The drop of the hour that raised the alert, in points. */
  readonly alertDropPts: number;
  /** The drop of the latest hour judged, in points. */
  readonly dropPts: number;
  readonly worstDropPts: number;
  readonly incidentStart: string;
}

export interface WatchSummary {
  readonly hour: { readonly start: string; readonly end: string };
  readonly status: WatchRunResult['check']['status'];
  /** One line for people. */
  readonly message: string;
  readonly offload: number | null;
  readonly baselineOffload: number | null;
  readonly dropPts: number | null;
  readonly thresholdPts: number | null;
  readonly missing: readonly { readonly dataset: string; readonly hour: string }[];
  readonly alerting: boolean;
  readonly alerts: readonly WatchAlertSummary[];
  readonly recovered: readonly { readonly incidentId: string; readonly worstDropPts: number }[];
  /** What this run sent, in order. */
  readonly sent: readonly { readonly kind: WatchEvent['kind']; readonly incidentId: string }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function messageOf(result: WatchRunResult, hourText: string): string {
  const { check } = result;
  if (check.status === 'missing-data') {
    const datasets = [...new Set(check.missing.map((missing) => missing.dataset))];
    return `Offload watch ${hourText}: not judged, ${check.missing.length} lake window(s) missing (${datasets.join(', ')}); nothing is guessed`;
  }
  const figures = check.figures;
  if (check.status === 'too-quiet') return `Offload watch ${hourText}: not judged, ${check.reason}`;
  const shown = `offload ${figures.offload === null ? 'n/a' : formatPercent(figures.offload)} vs usual ${figures.baselineOffload === null ? 'n/a' : formatPercent(figures.baselineOffload)} (drop ${figures.dropPts?.toFixed(1)} pts, threshold ${figures.thresholdPts.toFixed(1)})`;
  const incident = result.state.incident;
  const sent = result.events.map((event) => `${event.kind} ${event.incidentId}`);
  if (sent.length > 0) {
    const blamed = result.events[0]?.blame;
    return `Offload watch ${hourText}: ${shown}; sent ${sent.join(', ')}${blamed ? `, ${blamed.segment} explains ${Math.round(blamed.shareExplained * 100)}%` : ''}`;
  }
  if (incident !== null) return `Offload watch ${hourText}: ${shown}; incident ${incident.id} goes on`;
  return `Offload watch ${hourText}: ${shown}; ${check.status === 'drop' ? 'drop' : 'steady'}`;
}

export function watchSummaryOf(result: WatchRunResult): WatchSummary {
  const { check, state } = result;
  const hour = { start: iso(check.hour.start), end: iso(check.hour.end) };
  const figures = check.status === 'missing-data' ? null : check.figures;
  const incident = state.incident;
  const raised = result.events.some((event) => event.kind === 'alert');
  return {
    hour,
    status: check.status,
    message: messageOf(result, `${hour.start.slice(0, 16)}Z`),
    offload: figures?.offload ?? null,
    baselineOffload: figures?.baselineOffload ?? null,
    dropPts: figures?.dropPts ?? null,
    thresholdPts: figures?.thresholdPts ?? null,
    missing:
      check.status === 'missing-data'
        ? check.missing.map((m) => ({ dataset: m.dataset, hour: iso(m.hour) }))
        : [],
    alerting: result.alerting,
    alerts:
      incident === null
        ? []
        : [
            {
              incidentId: incident.id,
              status: raised ? 'raised' : 'continued',
              dimensions: incident.blame?.dimensions ?? [],
              values: incident.blame?.values ?? [],
              segment: incident.blame?.name ?? null,
              shareExplained: incident.blame?.shareExplained ?? null,
              alertDropPts: incident.dropPts,
              dropPts: incident.lastDropPts,
              worstDropPts: incident.worstDropPts,
              incidentStart: iso(incident.startHour),
            },
          ],
    recovered: result.events
      .filter((event) => event.kind === 'recovered')
      .map((event) => ({ incidentId: event.incidentId, worstDropPts: event.worstDropPts })),
    sent: result.events.map((event) => ({ kind: event.kind, incidentId: event.incidentId })),
  };
}
