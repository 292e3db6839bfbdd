import { describe, expect, it } from 'vitest';
import type { Blame } from '../../lambdas/core/insights/blame.ts';
import { buildHeadline, comparisonLabel, type HeadlineInput } from '../../lambdas/core/insights/headline.ts';
import {
  arrowOfTone,
  assessChange,
  colourToneOf,
  DEFAULT_MATERIALITY,
} from '../../lambdas/core/insights/materiality.ts';
import { MINUS_SIGN } from '../../lambdas/core/insights/wording.ts';
import type { Figures } from '../../lambdas/core/report/figures.ts';

const GIB = 1024 ** 3;

function figures(options: { offload?: number; delivered?: number; rebufferRatio?: number } = {}): Figures {
  const delivered = options.delivered ?? 1000 * GIB;
  const offload = options.offload ?? 0.55;
  const rebufferRatio = options.rebufferRatio ?? 0.01;
  return {
    http: delivered * (1 - offload),
    p2p: delivered * offload,
    delivered,
    offload: delivered > 0 ? offload : null,
    played: 1_000_000 * (1 - rebufferRatio),
    rebuffered: 1_000_000 * rebufferRatio,
    rebufferRatio,
    averageSessions: 100,
  };
}

function blameOf(name: string, shareExplained: number): Blame {
  return {
    segment: { dimensions: ['country.code', 'isp.name'], values: ['DE', 'Acme'] },
    name,
    contribution: -0.049,
    shareExplained,
    change: -0.069,
    alternatives: [],
  };
}

const DATE = '2026-11-30'; // a Monday

function headline(input: Partial<HeadlineInput>) {
  return buildHeadline({ date: DATE, day: figures(), baselines: {}, ...input });
}

describe('the subject line', () => {
  it('leads with the offload drop and the segment to blame, in the issue’s words', () => {
    const result = headline({
      day: figures({ offload: 0.481 }),
      baselines: { sameWeekdayLastWeek: figures({ offload: 0.55 }), trailing: figures({ offload: 0.54 }) },
      blames: { sameWeekdayLastWeek: { offload: blameOf('ISP Acme DE', 0.712) } },
    });
    expect(result.subject).toBe(
      'Peer5 2026-11-30: offload 48.1% (−6.9 pts vs last Mon), ISP Acme DE explains 71%',
    );
    expect(result.lead).toBe('sameWeekdayLastWeek');
    expect(result.leadChange?.metric).toBe('offload');
    expect(result.blame?.name).toBe('ISP Acme DE');
  });

  it('says steady on a quiet day', () => {
    const result = headline({
      day: figures({ offload: 0.55 }),
      baselines: { sameWeekdayLastWeek: figures({ offload: 0.551, delivered: 1010 * GIB }) },
    });
    expect(result.subject).toBe('Peer5 2026-11-30: offload 55.0%, steady');
    expect(result.leadChange).toBeNull();
    expect(result.comparisons.sameWeekdayLastWeek?.offload.tone).toBe('steady');
  });

  it('leads with delivered bytes when their fall is the bigger news, and colours it, not the small dip', () => {
    const result = headline({
      day: figures({ offload: 0.549, delivered: 870 * GIB }),
      baselines: { sameWeekdayLastWeek: figures({ offload: 0.55, delivered: 1000 * GIB }) },
      blames: {
        sameWeekdayLastWeek: { delivered: blameOf('Country US', 0.64), offload: blameOf('ISP Acme DE', 0.9) },
      },
    });
    expect(result.subject).toBe(
      'Peer5 2026-11-30: delivered 870.0 GiB (−13.0% vs last Mon), Country US explains 64%',
    );
    expect(result.comparisons.sameWeekdayLastWeek?.delivered.tone).toBe('down-bad');
    expect(result.comparisons.sameWeekdayLastWeek?.offload.tone).toBe('steady');
  });

  it('ranks changes of unlike units by how many thresholds they span', () => {
    // Offload −2.5 pts is 1.25 thresholds; delivered −13% is 1.3.
    const result = headline({
      day: figures({ offload: 0.525, delivered: 870 * GIB }),
      baselines: { sameWeekdayLastWeek: figures({ offload: 0.55, delivered: 1000 * GIB }) },
    });
    expect(result.leadChange?.metric).toBe('delivered');
    expect(result.leadChange?.magnitude).toBeCloseTo(1.3, 12);
  });

  it('writes a rebuffer rise with two decimals and no blame (segments carry no playback figures)', () => {
    const result = headline({
      day: figures({ rebufferRatio: 0.018 }),
      baselines: { sameWeekdayLastWeek: figures({ rebufferRatio: 0.01 }) },
    });
    expect(result.subject).toBe('Peer5 2026-11-30: rebuffer 1.80% (+0.80 pts vs last Mon)');
    expect(result.comparisons.sameWeekdayLastWeek?.rebufferRatio.tone).toBe('up-bad');
  });

  it('falls back to the trailing average, then to the previous day, when last week is not available', () => {
    const drop = { day: figures({ offload: 0.5 }) };
    expect(headline({ ...drop, baselines: { sameWeekdayLastWeek: null, trailing: figures() } }).subject).toBe(
      'Peer5 2026-11-30: offload 50.0% (−5.0 pts vs 7-day avg)',
    );
    expect(
      headline({
        ...drop,
        baselines: { sameWeekdayLastWeek: figures({ delivered: 0 }), previousDay: figures() },
      }).subject,
    ).toBe('Peer5 2026-11-30: offload 50.0% (−5.0 pts vs Sun)');
  });

  it('blames only for the comparison that leads', () => {
    const result = headline({
      day: figures({ offload: 0.5 }),
      baselines: { sameWeekdayLastWeek: figures(), previousDay: figures() },
      blames: { previousDay: { offload: blameOf('ISP Acme DE', 0.9) } },
    });
    expect(result.subject).toBe('Peer5 2026-11-30: offload 50.0% (−5.0 pts vs last Mon)');
  });

  it('says no traffic on a day without any, and gives the figure alone without a baseline', () => {
    expect(
      headline({ day: figures({ delivered: 0 }), baselines: { sameWeekdayLastWeek: figures() } }).subject,
    ).toBe('Peer5 2026-11-30: no traffic');
    expect(headline({ baselines: {} }).subject).toBe('Peer5 2026-11-30: offload 55.0%');
  });

  it('uses the real minus sign in every signed figure', () => {
    const result = headline({
      day: figures({ offload: 0.45 }),
      baselines: { sameWeekdayLastWeek: figures() },
    });
    expect(result.subject).toContain(`${MINUS_SIGN}10.0 pts`);
    expect(result.subject.replace(DATE, '')).not.toContain('-');
  });

  it('names comparisons after the report day’s weekday', () => {
    expect(comparisonLabel('sameWeekdayLastWeek', '2026-12-05')).toBe('last Sat');
    expect(comparisonLabel('previousDay', '2026-12-05')).toBe('Fri');
    expect(comparisonLabel('trailing', '2026-12-05')).toBe('7-day avg');
  });
});

describe('materiality and tone', () => {
  const change = (value: number | null, unit: 'pts' | 'percent' = 'pts') => ({
    current: null,
    baseline: null,
    change: value,
    unit,
  });

  it('judges the change as shown: −1.96 pts shows as −2.0 and is material at a 2-point threshold', () => {
    expect(assessChange('offload', change(-1.96)).material).toBe(true);
    expect(assessChange('offload', change(-1.94)).material).toBe(false);
    expect(assessChange('offload', change(-1.94)).tone).toBe('steady');
  });

  it('follows each metric’s good direction', () => {
    expect(assessChange('offload', change(3)).tone).toBe('up-good');
    expect(assessChange('offload', change(-3)).tone).toBe('down-bad');
    expect(assessChange('delivered', change(15, 'percent')).tone).toBe('up-good');
    expect(assessChange('delivered', change(-15, 'percent')).tone).toBe('down-bad');
    expect(assessChange('rebufferRatio', change(0.5)).tone).toBe('up-bad');
    expect(assessChange('rebufferRatio', change(-0.5)).tone).toBe('down-good');
    expect(assessChange('offload', change(null)).tone).toBe('no-data');
  });

  it('gives colours and arrows only to material changes', () => {
    expect([colourToneOf('down-bad'), arrowOfTone('down-bad')]).toEqual(['bad', '▼']);
    expect([colourToneOf('down-good'), arrowOfTone('down-good')]).toEqual(['good', '▼']);
    expect([colourToneOf('steady'), arrowOfTone('steady')]).toEqual(['neutral', '■']);
    expect([colourToneOf('no-data'), arrowOfTone('no-data')]).toEqual(['neutral', '']);
  });

  it('takes the thresholds from the settings', () => {
    const strict = { ...DEFAULT_MATERIALITY, offloadPts: 0.5 };
    expect(assessChange('offload', change(-0.6), strict).material).toBe(true);
    expect(assessChange('offload', change(-0.6)).material).toBe(false);
  });
});
