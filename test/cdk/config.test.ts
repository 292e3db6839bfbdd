import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSettingsTable } from '../../bin/cli/readme-sections.ts';
import { withDatasetsFile } from '../../lambdas/adapters/datasets-file.ts';
import { SETTING_NAMES } from '../../lambdas/core/config.ts';
import { INTERVAL_LIMITS, TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { LAKE_PREFIX_RULE } from '../../lambdas/core/lake/layout.ts';
import { DEFAULT_CATCH_UP_HORIZON_MS } from '../../lambdas/core/lake/reach.ts';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import {
  DAILY_FRESHNESS_ALARM_DAYS,
  DEFAULT_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
} from '../../lambdas/core/settings/fields.ts';
import {
  environmentVariableOf,
  lambdaEnvironment,
  readLambdaEnvironment,
} from '../../lambdas/core/settings/lambda-environment.ts';
import { parseSettings, settingLike, settingsFromContext } from '../../lambdas/core/settings/parse.ts';
import { settingsReference } from '../../lambdas/core/settings/reference.ts';
import {
  BACKFILL_EXPORT_SETTINGS,
  REPORT_CHECK_SETTINGS,
  REPORT_OPTIONAL_SETTINGS,
  REPORT_SETTINGS,
  WATCH_SETTINGS,
} from '../../lambdas/handlers/environment.ts';
import { createApp } from '../../lib/app.ts';

const REQUIRED = { sender: 'reports@example.com', recipients: ['ops@example.com'] };

function fromFlags(flags: Record<string, string>) {
  return settingsFromContext((name) => flags[name]);
}

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('fill every optional setting with its default', () => {
    const settings = parseSettings(REQUIRED);
    expect(settings).toMatchObject({
      secretName: 'peer5-reporter/api-token',
      timeZone: 'UTC',
      hourlyExportMinute: 15,
      dailyExportTime: '03:00',
      reportTime: '08:00',
      prefix: 'peer5',
      retentionDays: 730,
      apiBaseUrl: 'https://control.peer5.com/v1',
      databaseName: 'peer5_reporter',
    });
    expect(settings.datasets.map((dataset) => dataset.name)).toEqual(
      DEFAULT_DATASETS.map((dataset) => dataset.name),
    );
    expect(settings.bucketName).toBeUndefined();
    expect(settings.alarmEmail).toBeUndefined();
  });

  it('read -c flags, where every value is a string', () => {
    const settings = fromFlags({
      sender: 'Peer5 Reports <reports@example.com>',
      recipients: 'ops@example.com, cto@example.com',
      hourlyExportMinute: '5',
      settleHours: '3',
      timeZone: 'Europe/Berlin',
      datasets: JSON.stringify([{ name: 'daily', interval: '1d', metrics: ['p2p'], cadence: 'daily' }]),
    });
    expect(settings.recipients).toEqual(['ops@example.com', 'cto@example.com']);
    expect(settings.hourlyExportMinute).toBe(5);
    expect(settings.settleHours).toBe(3);
    expect(settings.datasets).toEqual([
      { name: 'daily', description: '', interval: '1d', metrics: ['p2p'], dimensions: [], cadence: 'daily' },
    ]);
  });

  it('read a JSON array of recipients from a flag as well', () => {
    expect(
      fromFlags({ ...REQUIRED, recipients: '["a@example.com","b@example.com"]' } as never).recipients,
    ).toEqual(['a@example.com', 'b@example.com']);
  });

  it('name the setting and the rule of every bad value', () => {
    const message = problemOf(() =>
      fromFlags({
        sender: 'reports@example.com',
        recipients: 'ops@example.com,not-an-address',
        hourlyExportMinute: '60',
        timeZone: 'Mars/Olympus_Mons',
        reportTime: '8am',
      }),
    );
    expect(message).toContain('Invalid setting "recipients[1]": must be an email address');
    expect(message).toContain('Invalid setting "hourlyExportMinute": must be at most 59');
    expect(message).toContain('Invalid setting "timeZone": must be an IANA time zone name');
    expect(message).toContain('Invalid setting "reportTime": must be a time of day in 24-hour HH:MM form');
  });

  it('require a sender and at least one recipient', () => {
    const message = problemOf(() => fromFlags({}));
    expect(message).toContain('Invalid setting "sender": is required');
    expect(message).toContain('Invalid setting "recipients"');
  });

  it('pass dataset errors through with the dataset and field named', () => {
    const message = problemOf(() =>
      parseSettings({
        ...REQUIRED,
        datasets: [{ name: 'x', interval: '1h', metrics: ['bytes'], cadence: 'hourly' }],
      }),
    );
    expect(message).toMatch(/^Invalid setting "datasets": datasets\[0\] \(x\)\.metrics\[0\]: /);
  });

  it('refuse a prefix with "." or ".." segments, which no lake key may contain', () => {
    for (const prefix of ['../x', '..', '.', 'a/./b', 'peer5/..', 'a/../b', 'x/.']) {
      expect(problemOf(() => fromFlags({ ...REQUIRED, recipients: 'a@example.com', prefix } as never))).toBe(
        `Invalid setting "prefix": ${LAKE_PREFIX_RULE}`,
      );
    }
    expect(LAKE_PREFIX_RULE).toContain('without "." or ".." segments');
    for (const prefix of ['peer5', 'analytics/peer5', 'a..b/.hidden/v1.2', 'x_y-z']) {
      expect(parseSettings({ ...REQUIRED, prefix }).prefix).toBe(prefix);
    }
  });

  it('say which flag is not valid JSON', () => {
    expect(
      problemOf(() => fromFlags({ ...REQUIRED, recipients: 'a@example.com', datasets: '[{' } as never)),
    ).toMatch(/^Invalid setting "datasets": must be JSON/);
  });

  it('refuse plain http for anything but this machine, because the token travels in a header', () => {
    expect(
      problemOf(() => parseSettings({ ...REQUIRED, apiBaseUrl: 'http://api.example.com/v1' })),
    ).toContain('Invalid setting "apiBaseUrl": must use https://');
    expect(parseSettings({ ...REQUIRED, apiBaseUrl: 'http://127.0.0.1:8080/v1' }).apiBaseUrl).toBe(
      'http://127.0.0.1:8080/v1',
    );
  });

  it('refuse keys that are not settings in a config file', () => {
    expect(problemOf(() => parseSettings({ ...REQUIRED, recipient: ['x@example.com'] }))).toContain(
      'Invalid setting "recipient": is not a setting',
    );
  });

  it('suggest the setting a misspelt key was meant to be', () => {
    expect(problemOf(() => parseSettings({ ...REQUIRED, timezone: 'Europe/Berlin' }))).toBe(
      'Invalid setting "timezone": is not a setting; did you mean "timeZone"?',
    );
  });

  it('refuse a retention that lets the lifecycle rule delete windows the runs still catch up', () => {
    const horizonDays = DEFAULT_CATCH_UP_HORIZON_MS / TIME.DAY;
    expect(problemOf(() => parseSettings({ ...REQUIRED, retentionDays: horizonDays }))).toBe(
      `Invalid setting "retentionDays": must be at least ${horizonDays + 1}: scheduled runs fetch every window of the last ${horizonDays} days that is missing from the lake, so a shorter retention deletes windows that every run then fetches again`,
    );
    expect(parseSettings({ ...REQUIRED, retentionDays: horizonDays + 1 }).retentionDays).toBe(
      horizonDays + 1,
    );
  });

  it('keep lake objects longer than any interval of the API serves them', () => {
    for (const { lookBackMs } of Object.values(INTERVAL_LIMITS)) {
      expect(MIN_RETENTION_DAYS * TIME.DAY).toBeGreaterThan(lookBackMs ?? 0);
    }
    expect(MIN_RETENTION_DAYS * TIME.DAY).toBeGreaterThan(DEFAULT_CATCH_UP_HORIZON_MS);
  });
});

describe('settingLike', () => {
  it('finds the setting a key differs from only in letter case', () => {
    expect(settingLike('timezone')).toBe('timeZone');
    expect(settingLike('reportTIme')).toBe('reportTime');
    expect(settingLike('RETENTIONDAYS')).toBe('retentionDays');
  });

  it('finds the setting a key is at most two edits away from', () => {
    expect(settingLike('recipient')).toBe('recipients');
    expect(settingLike('recepients')).toBe('recipients');
    expect(settingLike('reportTopM')).toBe('reportTopN');
    expect(settingLike('retentonDay')).toBe('retentionDays');
  });

  it('finds nothing for a setting itself or a key unlike every setting', () => {
    expect(settingLike('timeZone')).toBeUndefined();
    expect(settingLike('owner')).toBeUndefined();
    expect(settingLike('retention')).toBeUndefined();
  });
});

describe('the datasetsFile setting', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'peer5-datasets-file-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(path.join(project, name), text);
  const TWO = [
    {
      name: 'by_country_1h',
      interval: '1h',
      metrics: ['p2p'],
      dimensions: ['country.code'],
      cadence: 'hourly',
    },
    { name: 'by_page_1d', interval: '1d', metrics: ['p2p'], dimensions: ['session.page'], cadence: 'daily' },
  ];
  const read = (input: Record<string, unknown>) =>
    parseSettings(withDatasetsFile({ ...REQUIRED, ...input }, project));

  it('reads the datasets from a JSON file relative to the project, over several lines', () => {
    write('datasets.json', JSON.stringify(TWO, null, 2));
    const settings = read({ datasetsFile: 'datasets.json' });
    expect(settings.datasets.map((dataset) => dataset.name)).toEqual(['by_country_1h', 'by_page_1d']);
    expect(settings.datasetsFile).toBe('datasets.json');
  });

  it('checks the file with the dataset rules, naming the setting, the file and the definition', () => {
    write('bad.json', JSON.stringify([{ ...TWO[0], metrics: ['bytes'] }]));
    expect(problemOf(() => read({ datasetsFile: 'bad.json' }))).toMatch(
      /^Invalid setting "datasetsFile": bad\.json\[0\] \(by_country_1h\)\.metrics\[0\]: /,
    );
    write('typo.json', JSON.stringify([{ ...TWO[0], dimension: ['os.name'] }]));
    expect(problemOf(() => read({ datasetsFile: 'typo.json' }))).toMatch(
      /^Invalid setting "datasetsFile": typo\.json\[0\]/,
    );
  });

  it('names the file when it is missing or not JSON', () => {
    expect(problemOf(() => read({ datasetsFile: 'missing.json' }))).toBe(
      `Invalid setting "datasetsFile": missing.json (${path.join(project, 'missing.json')}) does not exist`,
    );
    write('broken.json', '[{"name": ');
    expect(problemOf(() => read({ datasetsFile: 'broken.json' }))).toMatch(
      /^Invalid setting "datasetsFile": broken\.json \(.*broken\.json\) is not valid JSON/,
    );
  });

  it('excludes the datasets setting', () => {
    write('datasets.json', JSON.stringify(TWO));
    expect(problemOf(() => read({ datasetsFile: 'datasets.json', datasets: TWO }))).toBe(
      'Invalid setting "datasetsFile": excludes the "datasets" setting: give the datasets in one of them',
    );
  });

  it('is read by cdk synth from -c datasetsFile, relative to the project folder', () => {
    write('datasets.json', JSON.stringify(TWO));
    const { stack } = createApp({
      context: {
        sender: 'reports@example.com',
        recipients: 'ops@example.com',
        datasetsFile: 'datasets.json',
      },
      projectDir: project,
      bundle: false,
      checks: false,
    });
    expect(stack.settings.datasets.map((dataset) => dataset.name)).toEqual(['by_country_1h', 'by_page_1d']);
    expect(() =>
      createApp({
        context: { ...REQUIRED, recipients: 'ops@example.com', datasetsFile: 'missing.json' },
        projectDir: project,
        bundle: false,
        checks: false,
      }),
    ).toThrow('Invalid setting "datasetsFile": missing.json');
  });
});

describe('the Lambda environment', () => {
  const settings = parseSettings({ ...REQUIRED, bucketName: 'my-lake' });

  it('carries settings through environment variables and back unchanged', () => {
    const names = ['recipients', 'datasets', 'settleHours', 'bucketName', 'apiBaseUrl'] as const;
    const environment = lambdaEnvironment(settings, names);
    expect(Object.keys(environment)).toEqual([
      'PEER5_RECIPIENTS',
      'PEER5_DATASETS',
      'PEER5_SETTLE_HOURS',
      'PEER5_BUCKET_NAME',
      'PEER5_API_BASE_URL',
    ]);
    const read = readLambdaEnvironment(environment, names);
    expect(read.recipients).toEqual(settings.recipients);
    expect(read.settleHours).toBe(settings.settleHours);
    expect(read.bucketName).toBe('my-lake');
    // Descriptions stay out of the 4 KB environment; everything else survives.
    expect(read.datasets).toEqual(settings.datasets.map((dataset) => ({ ...dataset, description: '' })));
  });

  it('fails naming the variable that is missing or breaks a rule', () => {
    expect(() =>
      readLambdaEnvironment({ PEER5_SETTLE_HOURS: 'soon', PEER5_RECIPIENTS: '["ok@example.com","nope"]' }, [
        'settleHours',
        'recipients',
        'sender',
      ]),
    ).toThrow(
      [
        'Invalid environment variable "PEER5_SETTLE_HOURS": must be a whole number (setting "settleHours")',
        'Invalid environment variable "PEER5_RECIPIENTS": must be an email address (at [1]) (setting "recipients")',
        'Invalid environment variable "PEER5_SENDER": is required (setting "sender")',
      ].join('\n'),
    );
  });

  it('fails a cold start on a prefix with dot segments, naming the variable and the setting', () => {
    expect(() => readLambdaEnvironment({ PEER5_PREFIX: 'peer5/../x' }, ['prefix'])).toThrow(
      `Invalid environment variable "PEER5_PREFIX": ${LAKE_PREFIX_RULE} (setting "prefix")`,
    );
  });

  it('names every variable after its setting', () => {
    expect(environmentVariableOf('freshnessAlarmHours')).toBe('PEER5_FRESHNESS_ALARM_HOURS');
  });
});

describe('the settings reference', () => {
  it('describes every setting, with its default and whether it is required', () => {
    const reference = settingsReference();
    expect(reference.map((entry) => entry.name)).toEqual(SETTING_NAMES);
    expect(reference.every((entry) => entry.description.length > 20)).toBe(true);
    expect(reference.filter((entry) => entry.required).map((entry) => entry.name)).toEqual([
      'sender',
      'recipients',
    ]);
    expect(reference.find((entry) => entry.name === 'hourlyExportMinute')?.defaultValue).toBe('15');
    expect(reference.find((entry) => entry.name === 'retentionDays')?.defaultValue).toBe(
      String(DEFAULT_RETENTION_DAYS),
    );
  });

  it('says when freshnessAlarmHours does not apply, and what the alarm waits for instead', () => {
    const freshness = settingsReference().find((entry) => entry.name === 'freshnessAlarmHours');
    expect(freshness?.description).toContain(
      `with daily datasets only, the alarm fires after ${DAILY_FRESHNESS_ALARM_DAYS} days without a window`,
    );
  });

  it('lists a Lambda variable only for settings some function reads', () => {
    const read = new Set<string>([
      ...BACKFILL_EXPORT_SETTINGS,
      ...REPORT_SETTINGS,
      ...REPORT_OPTIONAL_SETTINGS,
      ...REPORT_CHECK_SETTINGS,
      ...WATCH_SETTINGS,
    ]);
    const rows = renderSettingsTable().split('\n').slice(2);
    expect(rows).toHaveLength(SETTING_NAMES.length);
    for (const [index, name] of SETTING_NAMES.entries()) {
      const variableCell = rows[index]?.split(' | ')[4];
      expect(variableCell).toBe(read.has(name) ? `\`${environmentVariableOf(name)}\`` : '');
    }
    // Settings that only shape the stack: schedules, alarms, retention.
    expect(rows.find((row) => row.startsWith('| `reportTime` |'))).not.toContain('PEER5_');
    expect(rows.find((row) => row.startsWith('| `sender` |'))).toContain('`PEER5_SENDER`');
  });
});
