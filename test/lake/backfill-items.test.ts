import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { backfillItemsOf, itemChunkMs, summarizeBackfill } from '../../lambdas/core/lake/backfill-items.ts';
import { EMPTY_DATASET_STATE, planBackfill } from '../../lambdas/core/lake/plan.ts';

const NOW = Date.UTC(2024, 4, 20);
const byName = (name: string) => {
  const dataset = DEFAULT_DATASETS.find((candidate) => candidate.name === name);
  if (!dataset) throw new Error(`no dataset ${name}`);
  return dataset;
};

function planOf(names: string[], from: number, to: number, present: Record<string, number[]> = {}) {
  const datasets = names.map(byName);
  const lake = {
    prefix: 'peer5',
    datasets: new Map(
      datasets.map((dataset) => [
        dataset.name,
        { ...EMPTY_DATASET_STATE, present: new Set(present[dataset.name] ?? []) },
      ]),
    ),
  };
  return planBackfill({ datasets, now: NOW, lake, from, to });
}

describe('the work items of a backfill on AWS', () => {
  it('are one dataset and at most a UTC day each, 6 hours for the 1-minute data', () => {
    expect(itemChunkMs(byName('totals_1m'))).toBe(6 * TIME.HOUR);
    expect(itemChunkMs(byName('by_country_1h'))).toBe(TIME.DAY);
    const from = NOW - 2 * TIME.DAY - 3 * TIME.HOUR;
    const items = backfillItemsOf(planOf(['by_country_1h', 'totals_1m'], from, NOW - TIME.DAY), false);
    const ofCountry = items.filter((item) => item.datasets[0] === 'by_country_1h');
    expect(ofCountry.map((item) => [item.from, item.to])).toEqual([
      [new Date(from).toISOString(), new Date(NOW - 2 * TIME.DAY).toISOString()],
      [new Date(NOW - 2 * TIME.DAY).toISOString(), new Date(NOW - TIME.DAY).toISOString()],
    ]);
    const ofMinutes = items.filter((item) => item.datasets[0] === 'totals_1m');
    expect(ofMinutes).toHaveLength(5);
    for (const item of ofMinutes)
      expect(Date.parse(item.to) - Date.parse(item.from)).toBeLessThanOrEqual(6 * TIME.HOUR);
  });

  it('leave out the windows already final in the lake, and carry force when asked', () => {
    const from = NOW - 3 * TIME.DAY;
    const present = { by_page_1d: [from] };
    const items = backfillItemsOf(planOf(['by_page_1d'], from, NOW, present), false);
    expect(items.map((item) => item.from)).toEqual([
      new Date(from + TIME.DAY).toISOString(),
      new Date(from + 2 * TIME.DAY).toISOString(),
    ]);
    expect(
      backfillItemsOf(planOf(['by_page_1d'], from, NOW), true).every((item) => item.force === true),
    ).toBe(true);
  });
});

describe('the summary of a backfill', () => {
  it('lists the windows still missing and the gaps', () => {
    const summary = summarizeBackfill(planOf(['by_page_1d'], NOW - 3 * TIME.DAY, NOW));
    expect(summary).toMatchObject({
      windowsFailed: 3,
      failed: [{ dataset: 'by_page_1d', windows: 3 }],
      gapWindows: 0,
    });
    expect(summary.text).toMatch(/^3 window\(s\) were not written: by_page_1d \[/);
  });

  it('says every window is in when none is missing', () => {
    const from = NOW - TIME.DAY;
    const summary = summarizeBackfill(planOf(['by_page_1d'], from, NOW, { by_page_1d: [from] }));
    expect(summary).toMatchObject({ windowsFailed: 0, failed: [] });
    expect(summary.text).toMatch(/^Every window the API serves is in the lake/);
  });
});
