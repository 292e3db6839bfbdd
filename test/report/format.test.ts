import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatPercent,
  formatPercentChange,
  formatPointsChange,
  formatRebufferRatio,
  formatSessions,
} from '../../lambdas/core/report/format.ts';

describe('formatting figures', () => {
  it('writes bytes in binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1.5 * 1024 ** 4)).toBe('1.5 TiB');
    expect(formatBytes(734 * 1024 ** 3)).toBe('734.0 GiB');
  });

  it('moves up a unit instead of printing 1024.0 of the smaller one', () => {
    expect(formatBytes(1024 ** 4 - 1024 ** 2)).toBe('1.0 TiB');
  });

  it('writes ratios as percentages and a missing ratio as n/a', () => {
    expect(formatPercent(0.632)).toBe('63.2%');
    expect(formatPercent(null)).toBe('n/a');
    expect(formatRebufferRatio(0.00843)).toBe('0.84%');
  });

  it('signs changes, in points for ratios and percent for volumes', () => {
    expect(formatPointsChange(1.44)).toBe('+1.4 pts');
    expect(formatPointsChange(-0.96)).toBe('-1.0 pts');
    expect(formatPointsChange(-0.01)).toBe('±0.0 pts');
    expect(formatPercentChange(12.46)).toBe('+12.5%');
    expect(formatPercentChange(-3.2)).toBe('-3.2%');
  });

  it('writes sessions with a thousands separator', () => {
    expect(formatSessions(1234.56)).toBe('1,234.6');
  });
});
