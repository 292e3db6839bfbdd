/**
 * The watch's incidents on one day, as the morning report lists them, read from the watch's state
 * alone: the incidents that closed (kept for CLOSED_INCIDENT_DAYS) and the one still open.
 *
 *   incidentsOfDay(state, day) -> every incident that was open at some moment of [from, to)
 */
import type { OpenIncident, WatchState } from './incident.ts';

/**
 * An incident of the hourly offload watch, as the morning email lists it: the watch's own record
 * (`OpenIncident`) and when it recovered, if it did.
 */
export type ReportIncident = Pick<
  OpenIncident,
  'id' | 'startHour' | 'offload' | 'baselineOffload' | 'worstDropPts' | 'blame'
> & {
  /** When the recovered message went out; null while the incident is still open. */
  readonly recoveredAt: number | null;
};

/** A span of time, ms: the report day's local window. */
export interface IncidentDay {
  readonly from: number;
  readonly to: number;
}

function reportIncidentOf(incident: OpenIncident, recoveredAt: number | null): ReportIncident {
  const { id, startHour, offload, baselineOffload, worstDropPts, blame } = incident;
  return { id, startHour, offload, baselineOffload, worstDropPts, blame, recoveredAt };
}

/** The incidents that started before the day ended and had not recovered when it began, by start. */
export function incidentsOfDay(state: WatchState, day: IncidentDay): ReportIncident[] {
  const incidents = state.closed
    .filter((incident) => incident.startHour < day.to && incident.recoveredAt >= day.from)
    .map((incident) => reportIncidentOf(incident, incident.recoveredAt));
  if (state.incident !== null && state.incident.startHour < day.to) {
    incidents.push(reportIncidentOf(state.incident, null));
  }
  return incidents.sort((a, b) => a.startHour - b.startHour);
}
