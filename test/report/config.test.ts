import { describe, expect, it } from 'vitest';
import {
  emailAddressOf,
  ReportConfigError,
  validateReportSettings,
} from '../../lambdas/core/report/config.ts';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import { parseSettings } from '../../lambdas/core/settings/parse.ts';

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
    expect(
      configErrorOf(() => validateReportSettings({ ...VALID, timeZone: 'Europe/Atlantis' }, { topN: 5 }))
        ?.message,
    ).toBe(
      'timeZone: must be an IANA time zone name such as "Europe/Berlin" or "UTC"; got "Europe/Atlantis"',
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

/** The one problem the settings schema finds in the report's settings with `change` applied. */
function settingsProblemOf(change: Record<string, unknown>): { setting: string; message: string } {
  try {
    parseSettings({ sender: VALID.from, recipients: VALID.to, ...change });
  } catch (error: unknown) {
    if (!(error instanceof SettingsError)) throw error;
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    return { setting: problem?.setting ?? '', message: problem?.message ?? '' };
  }
  throw new Error('expected a SettingsError');
}

/** The setting and rule `runReport`'s check refuses the report's options with `change` applied. */
function reportProblemOf(change: Record<string, unknown>): { setting: string; message: string } {
  const error = configErrorOf(() => validateReportSettings({ ...VALID, ...change }));
  if (error === undefined) throw new Error('expected a ReportConfigError');
  return { setting: error.setting, message: error.rule };
}

describe('the report settings and the product settings', () => {
  it('refuse a recipient with a dot before the @ with the same message', () => {
    expect(settingsProblemOf({ recipients: ['ops@example.com', 'a.@b.co'] })).toEqual({
      setting: 'recipients[1]',
      message: 'must be an email address',
    });
    expect(reportProblemOf({ to: ['ops@example.com', 'a.@b.co'] })).toEqual({
      setting: 'to[1]',
      message: 'must be an email address',
    });
  });

  it('refuse the same sender addresses with the same message', () => {
    for (const sender of ['a.@b.co', 'Reports <a.@b.co>', 'reports']) {
      const message = 'must be an email address (user@example.com or "Name <user@example.com>")';
      expect(settingsProblemOf({ sender })).toEqual({ setting: 'sender', message });
      expect(reportProblemOf({ from: sender })).toEqual({ setting: 'from', message });
    }
    expect(emailAddressOf('a.@b.co')).toBeNull();
    expect(emailAddressOf('Reports <a.@b.co>')).toBeNull();
  });

  it('refuse the same time zones, table sizes and lists of recipients with the same message', () => {
    const cases: [string, string, unknown][] = [
      ['timeZone', 'timeZone', 'Mars/Olympus_Mons'],
      // Intl takes an offset, EventBridge Scheduler does not.
      ['timeZone', 'timeZone', '+02:00'],
      ['reportTopN', 'topN', 11],
      ['reportTopN', 'topN', 2.5],
      ['recipients', 'to', []],
      ['recipients', 'to', Array.from({ length: 51 }, (_, index) => `r${index}@example.com`)],
    ];
    for (const [setting, option, value] of cases) {
      const fromSettings = settingsProblemOf({ [setting]: value });
      expect(fromSettings.setting).toBe(setting);
      expect(reportProblemOf({ [option]: value })).toEqual({
        setting: option,
        message: fromSettings.message,
      });
    }
  });

  it('default to the same time zone and table size', () => {
    const settings = parseSettings({ sender: VALID.from, recipients: VALID.to });
    const report = validateReportSettings(VALID);
    expect(report.timeZone).toBe(settings.timeZone);
    expect(report.topN).toBe(settings.reportTopN);
    expect(report).toMatchObject({ timeZone: 'UTC', topN: 5 });
  });
});
