/** Watch check results built by hand, for the incident state and the messages. */
import { TIME } from '../../../lambdas/core/contract.ts';
import type { Blame } from '../../../lambdas/core/insights/blame.ts';
import type { WatchCheck, WatchFigures } from '../../../lambdas/core/insights/watch.ts';

export const FIRST_HOUR = Date.UTC(2026, 10, 30, 13);

export function hourAt(index: number): number {
  return FIRST_HOUR + index * TIME.HOUR;
}

function figures(dropPts: number, thresholdPts = 5): WatchFigures {
  return {
    offload: 0.58 - dropPts / 100,
    baselineOffload: 0.58,
    dropPts,
    delivered: 1e12,
    baselineDelivered: 1e12,
    trafficShare: 1,
    thresholdPts,
  };
}

export function blameNamed(name: string, values: readonly (string | null)[] = ['DE', 'Acme']): Blame {
  return {
    segment: { dimensions: ['country.code', 'isp.name'], values },
    name,
    contribution: -0.1,
    shareExplained: 0.85,
    change: -0.12,
    alternatives: [],
  };
}

export function dropCheck(
  index: number,
  dropPts: number,
  blame: Blame | null = blameNamed('ISP Acme DE'),
): WatchCheck {
  const start = hourAt(index);
  return {
    status: 'drop',
    hour: { start, end: start + TIME.HOUR },
    figures: figures(dropPts),
    blame,
    decompositions: [],
    unchecked: [],
  };
}

export function steadyCheck(index: number, dropPts: number): WatchCheck {
  const start = hourAt(index);
  return { status: 'steady', hour: { start, end: start + TIME.HOUR }, figures: figures(dropPts) };
}

export function missingCheck(index: number): WatchCheck {
  const start = hourAt(index);
  return {
    status: 'missing-data',
    hour: { start, end: start + TIME.HOUR },
    missing: [{ dataset: 'totals_1m', hour: start }],
  };
}

export function quietCheck(index: number): WatchCheck {
  const start = hourAt(index);
  return {
    status: 'too-quiet',
    hour: { start, end: start + TIME.HOUR },
    reason: 'the hour had no traffic',
    figures: figures(0),
  };
}
