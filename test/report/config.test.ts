import { describe, expect, it } from 'vitest';
import {
  emailAddressOf,
  ReportConfigError,
  validateReportSettings,
} from '../../lambdas/core/report/config.ts';

const VALID = { from: 'Peer5 Reports <reports@example.com>', to: ['ops@example.com'] };

function configErrorOf(run: () => unknown): ReportConfigError | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ReportConfigError) return error;
    throw error;
  }
  return undefined;
}

function settingOf(run: () => unknown): string | undefined {
  return configErrorOf(run)?.setting;
}

describe('report settings', () => {
  it('fills in UTC and five rows by default', () => {
    expect(validateReportSettings(VALID, { topN: 5 })).toMatchObject({ timeZone: 'UTC', topN: 5 });
  });

  it('names the time zone setting when the zone is unknown', () => {
    expect(() => validateReportSettings({ ...VALID, timeZone: 'Europe/Atlantis' }, { topN: 5 })).toThrow(
      /^timeZone: "Europe\/Atlantis" is not an IANA time zone/,
    );
  });

  it('names the address setting that is not an email address', () => {
    expect(settingOf(() => validateReportSettings({ ...VALID, from: 'reports' }, { topN: 5 }))).toBe('from');
    expect(settingOf(() => validateReportSettings({ ...VALID, to: [] }, { topN: 5 }))).toBe('to');
    expect(
      settingOf(() => validateReportSettings({ ...VALID, to: ['ok@example.com', 'nope@'] }, { topN: 5 })),
    ).toBe('to[1]');
  });

  it('refuses addresses that would smuggle in a header', () => {
    expect(emailAddressOf('a@example.com\r\nBcc: b@example.com')).toBeNull();
    expect(emailAddressOf('Name <a@example.com>')).toBe('a@example.com');
  });

  it('checks the date format and the table size', () => {
    expect(settingOf(() => validateReportSettings({ ...VALID, date: '2026-13-01' }, { topN: 5 }))).toBe(
      'date',
    );
    expect(settingOf(() => validateReportSettings({ ...VALID, topN: 0 }, { topN: 5 }))).toBe('topN');
  });

  it('keeps the rule apart from the setting, for callers that name the setting their own way', () => {
    const error = configErrorOf(() => validateReportSettings({ ...VALID, topN: 11 }, { topN: 5 }));
    expect(error?.setting).toBe('topN');
    expect(error?.rule).toBe('must be a whole number from 1 to 10; got 11');
    expect(error?.message).toBe('topN: must be a whole number from 1 to 10; got 11');
  });

  it('refuses more recipients than SES takes in one message', () => {
    const to = Array.from({ length: 51 }, (_, index) => `r${index}@example.com`);
    expect(() => validateReportSettings({ ...VALID, to }, { topN: 5 })).toThrow(/at most 50 recipients/);
  });
});
