import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { minimumReportRequests } from '../../lambdas/core/report/request-floor.ts';
import { scopeReport } from '../../lambdas/core/report/scope.ts';

const NOW = Date.UTC(2026, 10, 26, 6);

describe('the fewest requests the contract allows for the report', () => {
  it('is one fewer than the report makes: the totals can ride on a dimensioned query', () => {
    const scope = scopeReport({ date: '2026-11-25', timeZone: 'UTC', now: NOW });
    const made = 1 + scope.breakdownQueries.length + 1;
    // Four dimensions, two a request; the hourly totals summed from one of them; the 1d history.
    expect(minimumReportRequests(scope, NOW)).toBe(3);
    expect(made).toBe(4);
  });

  it('grows when a zone needs buckets whose longest range is shorter than the trend', () => {
    // Asia/Kathmandu reads 10m buckets, at most 7 days a request: the 8-day trend takes two.
    const scope = scopeReport({ date: '2026-11-25', timeZone: 'Asia/Kathmandu', now: NOW });
    expect(scope.trendQuery.to - scope.trendQuery.from).toBeGreaterThan(7 * TIME.DAY);
    expect(minimumReportRequests(scope, NOW)).toBe(2 * 2 + 1);
  });
});
