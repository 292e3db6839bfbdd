/**
 * Everything that can change while the simulator runs: the clock, the population, the accepted
 * tokens, the rate limit, the queued faults and the counters tests read. The HTTP side
 * (server.ts) reads and changes it; nothing here knows about requests.
 */
import { performance } from 'node:perf_hooks';
import { type IncidentPlan, planIncidents, type SimulatorIncident } from './incidents.ts';
import { buildPopulation, type Population } from './population.ts';
import type { ConfigPatch, ResolvedRateLimit, SimulatorFault } from './settings.ts';

export interface SimulatorStateOptions {
  readonly seed: number;
  readonly segments: number;
  readonly tokens: readonly string[];
  readonly lateDataDelayMs: number;
  readonly rateLimit: ResolvedRateLimit | null;
  readonly now: number | null;
  readonly incidents?: readonly SimulatorIncident[];
}

/** Counters for tests: requests received, by status (0 = connection reset without an answer). */
export interface SimulatorStats {
  requests: number;
  byStatus: Record<number, number>;
}

export class SimulatorState {
  readonly seed: number;
  private tokens: ReadonlySet<string>;
  private populationValue: Population;
  private lateDataDelay: number;
  private rateLimitValue: ResolvedRateLimit | null;
  private frozenAt: number | null;
  /** Forward clock jumps, added to real time for the rate-limit window (see `rateTime`). */
  private rateSkew = 0;
  private rateLog: number[] = [];
  private readonly faults: SimulatorFault[] = [];
  private incidentList: SimulatorIncident[] = [];
  /** The incidents compiled against the population; rebuilt when either changes. */
  private incidentPlanValue: IncidentPlan | null = null;
  private activeExports = 0;
  /** Bytes of export bodies handed to sockets so far: shows tests that backpressure holds. */
  private streamedBytes = 0;
  readonly stats: SimulatorStats = { requests: 0, byStatus: {} };

  constructor(options: SimulatorStateOptions) {
    this.seed = options.seed;
    this.tokens = new Set(options.tokens);
    this.populationValue = buildPopulation(options.seed, options.segments);
    this.lateDataDelay = options.lateDataDelayMs;
    this.rateLimitValue = options.rateLimit;
    this.frozenAt = options.now;
    this.incidentList = [...(options.incidents ?? [])];
  }

  get population(): Population {
    return this.populationValue;
  }

  get lateDataDelayMs(): number {
    return this.lateDataDelay;
  }

  now(): number {
    return this.frozenAt ?? Date.now();
  }

  /** Freezes the clock. A forward jump also moves the rate-limit window on, so tests can expire it. */
  setClock(ms: number): void {
    this.rateSkew += Math.max(0, ms - this.now());
    this.frozenAt = ms;
  }

  /** A new limit starts with an empty window. */
  setRateLimit(limit: ResolvedRateLimit | null): void {
    this.rateLimitValue = limit;
    this.rateLog = [];
  }

  setSegments(count: number): void {
    if (count === this.populationValue.size) return;
    this.populationValue = buildPopulation(this.seed, count);
    this.incidentPlanValue = null;
  }

  get incidents(): readonly SimulatorIncident[] {
    return this.incidentList;
  }

  get incidentPlan(): IncidentPlan {
    this.incidentPlanValue ??= planIncidents(this.populationValue, this.incidentList);
    return this.incidentPlanValue;
  }

  /** Adds incidents to those already staged. */
  addIncidents(incidents: readonly SimulatorIncident[]): void {
    this.incidentList.push(...incidents);
    this.incidentPlanValue = null;
  }

  clearIncidents(): void {
    this.incidentList = [];
    this.incidentPlanValue = null;
  }

  setLateDataDelay(ms: number): void {
    this.lateDataDelay = ms;
  }

  /** Replaces the accepted tokens, as a rotation does: the old ones are refused from now on. */
  setTokens(tokens: readonly string[]): void {
    this.tokens = new Set(tokens);
  }

  acceptsToken(token: string): boolean {
    return this.tokens.has(token);
  }

  queueFaults(faults: readonly SimulatorFault[]): void {
    this.faults.push(...faults);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** The fault for the export request being answered, if one is queued. */
  takeFault(): SimulatorFault | undefined {
    return this.faults.shift();
  }

  applyConfig(patch: ConfigPatch): void {
    if (patch.segments !== undefined) this.setSegments(patch.segments);
    if (patch.rateLimit !== undefined) this.setRateLimit(patch.rateLimit);
    if (patch.lateDataDelayMs !== undefined) this.setLateDataDelay(patch.lateDataDelayMs);
    if (patch.tokens !== undefined) this.setTokens(patch.tokens);
  }

  /** Counts an answer with this status (0: a connection reset without an answer). */
  record(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  exportStarted(): void {
    this.activeExports++;
  }

  exportEnded(): void {
    this.activeExports--;
  }

  countStreamed(bytes: number): void {
    this.streamedBytes += bytes;
  }

  describe() {
    return {
      now: this.now(),
      clockFrozen: this.frozenAt !== null,
      seed: this.seed,
      segments: this.populationValue.size,
      lateDataDelayMs: this.lateDataDelay,
      rateLimit: this.rateLimitValue,
      queuedFaults: [...this.faults],
      incidents: [...this.incidentList],
      activeExports: this.activeExports,
      streamedBytes: this.streamedBytes,
      stats: this.stats,
    };
  }

  /** Records an export request and says whether it crosses the limit; refused ones count too. */
  countAgainstRateLimit(): boolean {
    const limit = this.rateLimitValue;
    if (!limit) return false;
    const now = this.rateTime();
    const windowStart = now - limit.windowMs;
    let expired = 0;
    while (expired < this.rateLog.length && (this.rateLog[expired] ?? 0) <= windowStart) expired++;
    if (expired > 0) this.rateLog.splice(0, expired);
    this.rateLog.push(now);
    return this.rateLog.length > limit.requests;
  }

  /**
   * The rate-limit window runs on real elapsed time, so a frozen clock never locks a client out
   * for good, plus every forward jump of the simulated clock.
   */
  private rateTime(): number {
    return performance.now() + this.rateSkew;
  }
}
