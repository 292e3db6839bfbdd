import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { planCuratedDay, windowStartsOfDay } from '../../lambdas/core/curated/plan.ts';
import { type DatasetDefinition, parseDatasets } from '../../lambdas/core/datasets.ts';

const [hours, days] = parseDatasets([
  { name: 'hours', interval: '1h', metrics: ['http'], cadence: 'hourly' },
  { name: 'days', interval: '1d', metrics: ['http'], cadence: 'daily' },
]) as [DatasetDefinition, DatasetDefinition];
const DAY = Date.UTC(2024, 6, 1);
const ALL = new Set(windowStartsOfDay(hours, DAY));
const NONE = new Set<number>();

describe('planCuratedDay', () => {
  it('counts 24 windows in an hourly day and one in a daily day', () => {
    expect(windowStartsOfDay(hours, DAY)).toHaveLength(24);
    expect(windowStartsOfDay(hours, DAY).at(-1)).toBe(DAY + 23 * TIME.HOUR);
    expect(windowStartsOfDay(days, DAY)).toEqual([DAY]);
  });

  it('writes a day whose windows are all present and none provisional', () => {
    expect(planCuratedDay(hours, DAY, { present: ALL, provisional: NONE, curated: true })).toEqual({
      action: 'write',
      windows: [...ALL],
    });
  });

  it('waits while a window is missing, whether or not the day was curated before', () => {
    const present = new Set([...ALL].slice(1));
    for (const curated of [false, true]) {
      expect(planCuratedDay(hours, DAY, { present, provisional: NONE, curated })).toEqual({
        action: 'wait',
        reason: '1 window of 24 not in the lake yet',
      });
    }
  });

  it('removes a curated file once a window of its day is provisional again, and otherwise waits', () => {
    const provisional = new Set([DAY + 3 * TIME.HOUR, DAY + 4 * TIME.HOUR]);
    expect(planCuratedDay(hours, DAY, { present: ALL, provisional, curated: true })).toEqual({
      action: 'remove',
      reason: '2 windows of the day are provisional',
    });
    expect(planCuratedDay(hours, DAY, { present: ALL, provisional, curated: false })).toMatchObject({
      action: 'wait',
    });
  });

  it('ignores markers of other days', () => {
    const provisional = new Set([DAY + TIME.DAY]);
    expect(planCuratedDay(hours, DAY, { present: ALL, provisional, curated: true }).action).toBe('write');
  });
});
