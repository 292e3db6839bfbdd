/**
 * Staged incidents: for a time range, the P2P bytes of the segments with one dimension value (ISP
 * X, optionally only `where` country DE) are scaled by `p2pFactor`, and their HTTP bytes rise by
 * as much, so delivered bytes are unchanged. A demo or a test of the offload watch stages one
 * with `POST /_sim/incidents` or `--incident`.
 *
 * An incident acts on each segment's hourly totals (segment-hours.ts), which every bucket and
 * every split is derived from, so totals still equal the sum of every split and a coarse bucket
 * the sum of its fine ones. An hour the range covers only in part is scaled in proportion to the
 * part covered: an incident from 14:20 moves two thirds of the P2P it moves in a whole hour, spread
 * over the hour 14:00–15:00 like the rest of that hour's traffic.
 */
import { DIMENSIONS, type Dimension, TIME } from '../lambdas/core/contract.ts';
import type { Population } from './population.ts';
import { fail, isObject, parseClock } from './settings.ts';

export interface SimulatorIncident {
  readonly dimension: Dimension;
  /** The segment's value; null is the unknown value (an unlocated viewer, say). */
  readonly value: string | null;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** 0.3 keeps 30% of the segment's P2P bytes; 0 moves all of them to HTTP. */
  readonly p2pFactor: number;
  /** Further values the segment must have, e.g. `{"country.code": "DE"}`. */
  readonly where?: Readonly<Partial<Record<Dimension, string | null>>>;
}

const INCIDENT_FIELDS = ['dimension', 'value', 'from', 'to', 'p2pFactor', 'where'] as const;
export const INCIDENT_SHAPE =
  '{"dimension": "isp.name", "value": "...", "from": ms, "to": ms, "p2pFactor": 0.3, "where": {"country.code": "DE"}}';

function parseDimension(value: unknown, field: string): Dimension {
  if (typeof value !== 'string' || !(DIMENSIONS as readonly string[]).includes(value)) {
    fail(`"${field}" must be one of ${DIMENSIONS.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as Dimension;
}

function parseValue(value: unknown, field: string): string | null {
  if (value === null || (typeof value === 'string' && value !== '')) return value;
  fail(`"${field}" must be a non-empty string, or null for the unknown value; got ${JSON.stringify(value)}`);
}

function parseWhere(value: unknown, field: string, dimension: Dimension): SimulatorIncident['where'] {
  if (!isObject(value)) fail(`"${field}" must be an object of dimension values, e.g. {"country.code": "DE"}`);
  const where: Partial<Record<Dimension, string | null>> = {};
  for (const [key, entry] of Object.entries(value)) {
    const whereDimension = parseDimension(key, `${field} key`);
    if (whereDimension === dimension)
      fail(`"${field}" must not repeat the incident's dimension ${dimension}`);
    where[whereDimension] = parseValue(entry, `${field}.${key}`);
  }
  return where;
}

export function parseIncident(value: unknown, field: string): SimulatorIncident {
  if (!isObject(value)) fail(`"${field}" must be an object: ${INCIDENT_SHAPE}`);
  const extra = Object.keys(value).find((key) => !(INCIDENT_FIELDS as readonly string[]).includes(key));
  if (extra !== undefined) {
    fail(`"${field}" has unknown field ${JSON.stringify(extra)}; allowed: ${INCIDENT_FIELDS.join(', ')}`);
  }
  const dimension = parseDimension(value.dimension, `${field}.dimension`);
  if (!('value' in value)) fail(`"${field}.value" is required: the ${dimension} value the incident hits`);
  const segmentValue = parseValue(value.value, `${field}.value`);
  const from = parseClock(value.from, `${field}.from`);
  const to = parseClock(value.to, `${field}.to`);
  if (to <= from) fail(`"${field}.to" must be after "${field}.from"`);
  const factor = value.p2pFactor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0 || factor > 1) {
    fail(`"${field}.p2pFactor" must be a number from 0 to 1; got ${JSON.stringify(factor)}`);
  }
  const incident = { dimension, value: segmentValue, from, to, p2pFactor: factor };
  return value.where === undefined
    ? incident
    : { ...incident, where: parseWhere(value.where, `${field}.where`, dimension) };
}

export function parseIncidents(value: unknown, field = 'incidents'): SimulatorIncident[] {
  if (!Array.isArray(value)) fail(`"${field}" must be an array of incidents: ${INCIDENT_SHAPE}`);
  return value.map((incident, index) => parseIncident(incident, `${field}[${index}]`));
}

/** The body of `POST /_sim/incidents`. */
export function parseIncidentsBody(body: unknown): SimulatorIncident[] {
  if (!isObject(body)) fail(`the body must be a JSON object {"incidents": [${INCIDENT_SHAPE}]}`);
  return parseIncidents(body.incidents);
}

/**
 * The incidents compiled against a population: which segments each hits, for a quick answer to
 * "what factor applies to this segment's P2P in this hour?" in the model's inner loop.
 */
export interface IncidentPlan {
  /** 1 when no incident touches the segment in the hour (index = start / 1 h). */
  p2pFactorAt(segment: number, hourIndex: number): number;
}

export const NO_INCIDENTS: IncidentPlan = { p2pFactorAt: () => 1 };

function matches(population: Population, segment: number, incident: SimulatorIncident): boolean {
  if ((population.values[incident.dimension][segment] ?? null) !== incident.value) return false;
  return Object.entries(incident.where ?? {}).every(
    ([dimension, value]) => (population.values[dimension as Dimension][segment] ?? null) === value,
  );
}

export function planIncidents(population: Population, incidents: readonly SimulatorIncident[]): IncidentPlan {
  if (incidents.length === 0) return NO_INCIDENTS;
  const compiled = incidents.map((incident) => {
    const hit = new Uint8Array(population.size);
    for (let segment = 0; segment < population.size; segment++) {
      if (matches(population, segment, incident)) hit[segment] = 1;
    }
    return { incident, hit };
  });
  return {
    p2pFactorAt(segment, hourIndex) {
      const start = hourIndex * TIME.HOUR;
      const end = start + TIME.HOUR;
      let factor = 1;
      for (const { incident, hit } of compiled) {
        if (hit[segment] !== 1 || incident.to <= start || incident.from >= end) continue;
        const covered = (Math.min(end, incident.to) - Math.max(start, incident.from)) / TIME.HOUR;
        factor *= 1 - (1 - incident.p2pFactor) * covered;
      }
      return factor;
    },
  };
}
