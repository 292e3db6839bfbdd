/**
 * The API simulator on a free loopback port with an ExportClient pointed at it: the simulator's
 * first accepted token, its clock. Stopped by `close()`, or, from inside a test, when the test ends.
 */
import { onTestFinished } from 'vitest';
import { ExportClient, type ExportClientOptions } from '../../lambdas/adapters/peer5-api/index.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  DEFAULT_TOKENS,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../simulator/index.ts';

/** Retry waits short enough that a test with injected faults does not sit through them. */
export const FAST_RETRIES = { baseDelayMs: 5, maxDelayMs: 20 } as const;

export interface SimulatorClient {
  readonly sim: RunningSimulator;
  readonly client: ExportClient;
  close(): Promise<void>;
}

/** Starts a simulator and a client of it; `client` options are added to the client's defaults. */
export async function startSimulatorClient(
  options: SimulatorOptions = {},
  client: Partial<ExportClientOptions> = {},
): Promise<SimulatorClient> {
  const sim = await startSimulator(options);
  const token = (options.tokens ?? DEFAULT_TOKENS)[0] ?? '';
  return {
    sim,
    client: new ExportClient({ baseUrl: sim.url, token: async () => token, now: () => sim.now(), ...client }),
    close: () => sim.close(),
  };
}

/** startSimulatorClient from inside a test: the simulator stops when the test ends, however it ends. */
export async function simulatorClientForTest(
  options: SimulatorOptions = {},
  client: Partial<ExportClientOptions> = {},
): Promise<SimulatorClient> {
  const started = await startSimulatorClient(options, client);
  onTestFinished(() => started.close());
  return started;
}

/**
 * Stages an incident on the (country, ISP) pair that carries the most P2P bytes in the hour from
 * `from`: the segment whose drop moves the whole hour's offload most, so a small test audience
 * still passes the watch's threshold.
 */
export function stageTopPairIncident(
  sim: RunningSimulator,
  incident: { readonly from: number; readonly to: number; readonly p2pFactor: number },
): void {
  const [top] = [
    ...sim.rows(
      {
        from: incident.from,
        to: incident.from + TIME.HOUR,
        interval: '1h',
        metrics: ['p2p'],
        dimensions: ['country.code', 'isp.name'],
      },
      { asOf: 'final' },
    ),
  ].sort((a, b) => (b.metrics.p2p ?? 0) - (a.metrics.p2p ?? 0));
  sim.addIncidents([
    {
      dimension: 'isp.name',
      value: top?.dimensions['isp.name'] ?? null,
      where: { 'country.code': top?.dimensions['country.code'] ?? null },
      ...incident,
    },
  ]);
}
