/**
 * The Peer5 Data Export API simulator: the project's stand-in for `https://control.peer5.com/v1`
 * in local runs, demos, tests and benchmarks. It obeys the API contract exactly and serves
 * deterministic data from one population of segments, so every query agrees with every other.
 *
 * Choices the contract leaves open, settled here:
 * - A bucket is returned once it has started: its start is before `now` (a bucket starting
 *   exactly at `now` has no data yet and is not returned).
 * - Rows with dimensions are sorted by timestamp, then by each dimension value in request order,
 *   an unknown (null) value first, strings by UTF-16 code units.
 * - A dimension combination has activity in a bucket when any counter behind the five metrics is
 *   above zero, whichever metrics were asked for.
 * - A running or recent bucket's sessions are its session time so far divided by the whole
 *   bucket length, so they keep the time-weighted-mean rule at every moment.
 * - Filters match exact strings; an unknown (null) value matches no filter.
 * - Checks run in this order: path (404), method (405), rate limit (429), token (401), `format`
 *   (400), body (400). Every export request counts against the rate limit, refused ones too;
 *   the window runs on real elapsed time plus forward jumps of the simulated clock.
 * - A queued fault is used by the next `POST /v1/export` whatever its outcome would have been.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExportRequest, ExportRow } from '../lambdas/core/contract.ts';
import { parseIncidents, type SimulatorIncident } from './incidents.ts';
import { exportRows } from './model.ts';
import { DEFAULT_SEGMENTS } from './population.ts';
import type { AsOf } from './segment-hours.ts';
import { requestHandler } from './server.ts';
import {
  parseClock,
  parseFaults,
  parseHost,
  parseLateDataDelay,
  parsePort,
  parseRateLimit,
  parseSeed,
  parseSegments,
  parseTokens,
  type SimulatorFault,
} from './settings.ts';
import { SimulatorState } from './state.ts';

export type { SimulatorIncident } from './incidents.ts';
export { SimulatorRequestError } from './model.ts';
export type { SimulatorFault } from './settings.ts';
export { SimulatorConfigError } from './settings.ts';

export interface SimulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1. */
  seed?: number;
  /** If set, the clock is frozen at this ms until changed; if unset it follows real time. */
  now?: number;
  /** Number of segments in the population (its cardinality); default 2000. */
  segments?: number;
  /** Default null: no limit. `windowMs` defaults to 60000. */
  rateLimit?: { requests: number; windowMs?: number } | null;
  /** How long after a bucket ends its numbers keep growing; default 2 hours. */
  lateDataDelayMs?: number;
  /** Accepted `X-Auth-Token` values; default ['demo-token']. */
  tokens?: string[];
  /** Staged incidents (see incidents.ts); default none. */
  incidents?: SimulatorIncident[];
}

export interface RunningSimulator {
  /** Base URL including '/v1'; clients post to `${url}/export`. */
  readonly url: string;
  readonly port: number;
  now(): number;
  /** Freezes the clock at `ms`. */
  setClock(ms: number): void;
  setRateLimit(limit: { requests: number; windowMs?: number } | null): void;
  setSegments(n: number): void;
  setLateDataDelay(ms: number): void;
  /** Replaces the accepted `X-Auth-Token` values, as a token rotation does. */
  setTokens(tokens: string[]): void;
  queueFaults(faults: SimulatorFault[]): void;
  /** Stages incidents beside those already staged; `clearIncidents` removes them all. */
  addIncidents(incidents: SimulatorIncident[]): void;
  clearIncidents(): void;
  readonly incidents: readonly SimulatorIncident[];
  /** Counters for tests: requests received, by status (0 = connection reset without an answer). */
  readonly stats: { requests: number; byStatus: Record<number, number> };
  /**
   * The model's own numbers, without HTTP: the rows the API would return at time `asOf`
   * (default: now; 'final' = after all late data has arrived, every bucket of the range).
   * Same order as the API. Ignores range and look-back limits.
   */
  rows(request: ExportRequest, options?: { asOf?: number | 'final' }): Iterable<ExportRow>;
  close(): Promise<void>;
}

export const DEFAULT_TOKENS: readonly string[] = ['demo-token'];
export const DEFAULT_LATE_DATA_DELAY_MS = 2 * 3_600_000;
export const DEFAULT_HOST = '127.0.0.1';

export class SimulatorStartError extends Error {
  override readonly name = 'SimulatorStartError';
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host === undefined ? DEFAULT_HOST : parseHost(options.host);
  const requestedPort = options.port === undefined ? 0 : parsePort(options.port);
  const state = new SimulatorState({
    seed: options.seed === undefined ? 1 : parseSeed(options.seed),
    segments: options.segments === undefined ? DEFAULT_SEGMENTS : parseSegments(options.segments),
    tokens: options.tokens === undefined ? DEFAULT_TOKENS : parseTokens(options.tokens),
    lateDataDelayMs:
      options.lateDataDelayMs === undefined
        ? DEFAULT_LATE_DATA_DELAY_MS
        : parseLateDataDelay(options.lateDataDelayMs),
    rateLimit: options.rateLimit === undefined ? null : parseRateLimit(options.rateLimit),
    now: options.now === undefined ? null : parseClock(options.now),
    incidents: options.incidents === undefined ? [] : parseIncidents(options.incidents),
  });

  const server: Server = createServer(requestHandler(state));
  try {
    server.listen(requestedPort, host);
    await once(server, 'listening');
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SimulatorStartError(`the simulator could not listen on ${host}:${requestedPort}: ${reason}`);
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;

  return {
    url: `http://${urlHost(host)}:${port}/v1`,
    port,
    now: () => state.now(),
    setClock: (ms) => state.setClock(parseClock(ms)),
    setRateLimit: (limit) => state.setRateLimit(parseRateLimit(limit)),
    setSegments: (n) => state.setSegments(parseSegments(n)),
    setLateDataDelay: (ms) => state.setLateDataDelay(parseLateDataDelay(ms)),
    setTokens: (tokens) => state.setTokens(parseTokens(tokens)),
    queueFaults: (faults) => state.queueFaults(parseFaults(faults)),
    addIncidents: (incidents) => state.addIncidents(parseIncidents(incidents)),
    clearIncidents: () => state.clearIncidents(),
    get incidents() {
      return state.incidents;
    },
    stats: state.stats,
    rows: (request, rowOptions) => {
      const asOf: AsOf = rowOptions?.asOf ?? state.now();
      return exportRows(state.population, request, asOf, state.lateDataDelayMs, state.incidentPlan);
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
