/**
 * Flags, the config file and the settings schema meet here. Every flag that stands for a setting
 * maps onto the same schema the CDK app reads from `cdk.json`, so a value is validated once, with
 * the same message, wherever it comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { withDatasetsFile } from '../../lambdas/adapters/datasets-file.ts';
import type { SettingName, Settings } from '../../lambdas/core/config.ts';
import { LAKE_EPOCH_MS, LAKE_EPOCH_RULE } from '../../lambdas/core/datasets.ts';
import { parseInstant } from '../../lambdas/core/dates.ts';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import { DEFAULT_API_REQUESTS_PER_MINUTE } from '../../lambdas/core/settings/fields.ts';
import { parseSetting, parseSettings, settingFromText } from '../../lambdas/core/settings/parse.ts';
import { withFlagSuggestion } from '../../lambdas/core/spelling.ts';
import { type LakeLocation, LakeUrlError, parseLakeUrl } from './lake-url.ts';

/** Exit codes a script can rely on; `alerting`: the offload watch raised or continued an alert. */
export const EXIT = { ok: 0, failed: 1, usage: 2, gaps: 3, alerting: 4 } as const;

/** Bad input on the command line or in the config file: exit code 2, message names the flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const CONFIG_FILE = 'peer5-reporter.config.json';
export const LOCAL_LAKE = path.join('local', 'lake');
export const LOCAL_OUTBOX = path.join('local', 'outbox');

/** Placeholders for a local run, where the report goes to a folder and nobody's address is needed. */
const LOCAL_SENDER = 'Peer5 Reporter <reports@example.com>';
const LOCAL_RECIPIENT = 'ops@example.com';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string];

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** One line for --help. */
  readonly help: string;
  readonly value?: string;
  /** The setting the flag sets, if any. */
  readonly setting?: SettingName;
}

/** Flags every command that runs the pipeline understands. */
export const COMMON_FLAGS = {
  config: { type: 'string', value: 'FILE', help: `settings file (default ./${CONFIG_FILE} when present)` },
  now: { type: 'string', value: 'ISO', help: 'act as if it were this moment, e.g. 2026-11-25T08:00:00Z' },
  json: { type: 'boolean', help: 'print the result as JSON on stdout' },
  help: { type: 'boolean', help: 'show this help' },
} as const satisfies Record<string, FlagSpec>;

export const API_FLAGS = {
  'api-url': { type: 'string', value: 'URL', help: 'Peer5 API base URL', setting: 'apiBaseUrl' },
  'token-secret': {
    type: 'string',
    value: 'NAME',
    help: 'read the API token from this Secrets Manager secret (or set PEER5_TOKEN)',
    setting: 'secretName',
  },
  'max-requests-per-minute': {
    type: 'string',
    value: 'N',
    help: `pace API requests to this many a minute, for this run (default apiRequestsPerMinute, ${DEFAULT_API_REQUESTS_PER_MINUTE} unset)`,
  },
} as const satisfies Record<string, FlagSpec>;

export const LAKE_FLAGS = {
  lake: { type: 'string', value: 'URL', help: `s3://bucket/prefix or a folder (default ./${LOCAL_LAKE})` },
  datasets: { type: 'string', value: 'A,B', help: 'only these datasets (names, comma-separated)' },
  'settle-hours': {
    type: 'string',
    value: 'N',
    help: 'hours during which a window is still refetched',
    setting: 'settleHours',
  },
} as const satisfies Record<string, FlagSpec>;

export const MAIL_FLAGS = {
  'ses-from': {
    type: 'string',
    value: 'ADDRESS',
    help: 'send through SES from this address',
    setting: 'sender',
  },
  to: {
    type: 'string',
    multiple: true,
    value: 'ADDRESS',
    help: 'a recipient (repeatable)',
    setting: 'recipients',
  },
  outbox: { type: 'string', value: 'DIR', help: `write the email to a folder (default ./${LOCAL_OUTBOX})` },
  'time-zone': {
    type: 'string',
    value: 'ZONE',
    help: 'IANA time zone of the report day',
    setting: 'timeZone',
  },
} as const satisfies Record<string, FlagSpec>;

export type FlagTable = Record<string, FlagSpec>;
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedFlags {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
}

export function parseFlags(argv: readonly string[], flags: FlagTable): ParsedFlags {
  const options: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as FlagValues, positionals };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      withFlagSuggestion(message.replace(/\. To specify a positional argument.*$/s, ''), Object.keys(flags)),
    );
  }
}

export function flagHelp(flags: FlagTable): string {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return `  ${left.padEnd(28)} ${spec.help}`;
  });
  return rows.join('\n');
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A `--flag ISO` value as epoch ms; a date alone means its midnight UTC. No moment the CLI works
 * with (a range, the clock of a run) lies before the lake's first day.
 */
export function timeFlag(values: FlagValues, name: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const ms = parseInstant(text);
  if (ms === null) {
    throw new UsageError(
      `--${name} must be an ISO 8601 date (2026-11-25) or date-time with Z or an offset (2026-11-25T08:00:00Z) that exists on the calendar; got ${JSON.stringify(text)}`,
    );
  }
  if (ms < LAKE_EPOCH_MS) throw new UsageError(`--${name}: ${LAKE_EPOCH_RULE}; got ${JSON.stringify(text)}`);
  return ms;
}

/** The config file's settings and where they came from, for messages that name the file. */
interface ConfigFile {
  /** Absolute path, or undefined when there is no file. */
  readonly path: string | undefined;
  readonly values: Record<string, unknown>;
}

function readConfigFile(values: FlagValues, cwd: string): ConfigFile {
  const explicit = stringFlag(values, 'config');
  const file = path.resolve(cwd, explicit ?? CONFIG_FILE);
  // Only a file named by --config is blamed on the flag; the default one was never asked for.
  const source = `${explicit === undefined ? '' : '--config: '}config file ${file}`;
  if (!existsSync(file)) {
    if (explicit !== undefined) throw new UsageError(`${source} does not exist`);
    return { path: undefined, values: {} };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${source} cannot be read (${reason})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${source} is not valid JSON (${reason})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${source} must hold a JSON object of settings`);
  }
  return { path: file, values: parsed as Record<string, unknown> };
}

/** `setting "key" in /path/to/file`: how a message names a value that came from the config file. */
function inFile(file: ConfigFile, key: string): string {
  return `setting "${key}" in ${file.path ?? 'the config file'}`;
}

export type MailTarget = { readonly kind: 'ses' } | { readonly kind: 'outbox'; readonly dir: string };

export type LakeTarget = LakeLocation;

export interface ResolvedOptions {
  readonly settings: Settings;
  readonly mail: MailTarget;
  readonly lake: LakeTarget;
  /**
   * The secret to read the API token from: --token-secret (`flag`), or `secretName` in the config
   * file, which PEER5_TOKEN overrides.
   */
  readonly tokenSecret: { readonly name: string; readonly flag: boolean } | undefined;
  /**
   * The API's requests a minute this run paces to: --max-requests-per-minute, else the setting
   * `apiRequestsPerMinute`.
   */
  readonly requestsPerMinute: number;
}

/**
 * --max-requests-per-minute: `apiRequestsPerMinute` for this run only, checked by that setting's
 * own field (a whole number from 5 to 100000) and named by the flag. Not the setting itself, so
 * the rules that join the setting to the stack's others (the backfill's concurrency) do not apply
 * to a local run.
 */
function requestsPerMinuteFlag(values: FlagValues): number | undefined {
  const text = stringFlag(values, 'max-requests-per-minute');
  if (text === undefined) return undefined;
  try {
    return parseSetting('apiRequestsPerMinute', text);
  } catch (error: unknown) {
    if (!(error instanceof SettingsError)) throw error;
    throw new UsageError(
      error.problems.map((problem) => `--max-requests-per-minute: ${problem.message}`).join('\n'),
    );
  }
}

/**
 * Keys a config file may hold besides the settings: where the CLI's lake and outbox are, and the
 * deployed Backfill state machine. They stand for the --lake, --outbox and --state-machine flags,
 * which have no setting of their own.
 */
const CLI_ONLY_KEYS = ['lake', 'outbox', 'stateMachine'] as const;

function splitConfigFile(file: ConfigFile): {
  settings: Record<string, unknown>;
  lake: string | undefined;
  outbox: string | undefined;
} {
  const { lake, outbox, stateMachine: _stateMachine, ...settings } = file.values;
  for (const key of CLI_ONLY_KEYS) {
    const value = file.values[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw new UsageError(`${inFile(file, key)}: must be a non-empty string`);
    }
  }
  return { settings, lake: lake as string | undefined, outbox: outbox as string | undefined };
}

/** A config file's `lake` if it names a folder; an invalid one is kept, to be reported by name. */
function folderOnly(lake: string | undefined, cwd: string): string | undefined {
  if (lake === undefined) return undefined;
  try {
    return parseLakeUrl(lake, cwd).kind === 'local' ? lake : undefined;
  } catch (error: unknown) {
    if (!(error instanceof LakeUrlError)) throw error;
    return lake;
  }
}

export interface ResolveOptions {
  /**
   * A local run (`start`): the lake and the outbox are folders unless a flag says otherwise, and
   * the config file's bucket and sender do not switch it to S3 or SES.
   */
  readonly local?: boolean;
  /**
   * With `local`: the config file's `lake` still counts when it names a folder (`query`, which
   * reads whichever local lake the user keeps). An S3 one, like the file's bucket, is for Athena.
   */
  readonly fileLakeFolder?: boolean;
  readonly cwd?: string;
}

/**
 * Settings from the config file, overridden by flags, checked by the shared schema. A flag's
 * error names the flag; a file's names the setting. Where the lake and the mail go:
 * - the lake: --lake, else `lake` in the file, else the file's `bucketName` (s3://bucket/prefix),
 *   else ./local/lake;
 * - the mail: --ses-from (SES) or --outbox, else `outbox` in the file, else SES when the file
 *   names a `sender`, else ./local/outbox.
 */
export function resolveOptions(
  values: FlagValues,
  flags: FlagTable,
  resolve: ResolveOptions = {},
): ResolvedOptions {
  const cwd = resolve.cwd ?? process.cwd();
  const local = resolve.local === true;
  const configFile = readConfigFile(values, cwd);
  const file = splitConfigFile(configFile);
  const input: Record<string, unknown> = { ...file.settings };
  const flagOfSetting = new Map<string, string>();
  for (const [name, spec] of Object.entries(flags)) {
    if (spec.setting === undefined) continue;
    flagOfSetting.set(spec.setting, name);
    const value = values[name];
    if (value !== undefined) input[spec.setting] = settingFromText(spec.setting, value);
  }

  const requestsPerMinute = requestsPerMinuteFlag(values);
  const outboxFlag = stringFlag(values, 'outbox');
  const sesFlag = stringFlag(values, 'ses-from') !== undefined;
  if (sesFlag && outboxFlag !== undefined) throw new UsageError('--ses-from and --outbox exclude each other');
  const outbox = outboxFlag ?? (local ? undefined : file.outbox);
  const useSes = sesFlag || (!local && outbox === undefined && file.settings.sender !== undefined);
  const mail: MailTarget = useSes
    ? { kind: 'ses' }
    : { kind: 'outbox', dir: path.resolve(cwd, outbox ?? LOCAL_OUTBOX) };
  if (mail.kind === 'outbox') {
    input.sender ??= LOCAL_SENDER;
    input.recipients ??= [LOCAL_RECIPIENT];
  } else if (input.recipients === undefined) {
    throw new UsageError(
      sesFlag
        ? '--ses-from needs at least one --to address (or "recipients" in the config file)'
        : `${inFile(configFile, 'sender')} sends the report through SES, which needs "recipients" in that file (or --to)`,
    );
  }

  let settings: Settings;
  try {
    // A relative datasetsFile in the config file is read next to that file.
    settings = parseSettings(
      withDatasetsFile(input, path.dirname(configFile.path ?? path.join(cwd, CONFIG_FILE))),
    );
  } catch (error: unknown) {
    if (!(error instanceof SettingsError)) throw error;
    const lines = error.problems.map((problem) => {
      const root = problem.setting.split(/[.[]/)[0] ?? problem.setting;
      const flag = flagOfSetting.get(root);
      if (flag !== undefined && values[flag] !== undefined) return `--${flag}: ${problem.message}`;
      return root in file.settings
        ? `${inFile(configFile, problem.setting)}: ${problem.message}`
        : `setting "${problem.setting}": ${problem.message}`;
    });
    throw new UsageError(lines.join('\n'));
  }

  const lakeFlag = stringFlag(values, 'lake');
  const fileLake = local
    ? resolve.fileLakeFolder === true
      ? folderOnly(file.lake, cwd)
      : undefined
    : (file.lake ?? (settings.bucketName ? `s3://${settings.bucketName}` : undefined));
  const lakeSource =
    lakeFlag !== undefined ? '--lake' : inFile(configFile, file.lake === undefined ? 'bucketName' : 'lake');
  let lake: LakeTarget;
  try {
    const location = parseLakeUrl(lakeFlag ?? fileLake ?? LOCAL_LAKE, cwd);
    lake =
      location.kind === 's3'
        ? { kind: 's3', bucket: location.bucket, prefix: location.prefix || settings.prefix }
        : { kind: 'local', root: location.root, prefix: '' };
  } catch (error: unknown) {
    throw new UsageError(`${lakeSource}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const tokenSecret =
    stringFlag(values, 'token-secret') !== undefined
      ? { name: settings.secretName, flag: true }
      : file.settings.secretName === undefined
        ? undefined
        : { name: settings.secretName, flag: false };
  return {
    settings,
    mail,
    lake,
    tokenSecret,
    requestsPerMinute: requestsPerMinute ?? settings.apiRequestsPerMinute,
  };
}

/** The config file's `stateMachine` (the Backfill state machine's ARN), checked, or undefined. */
export function stateMachineOfConfig(values: FlagValues, cwd: string): string | undefined {
  const file = readConfigFile(values, cwd);
  splitConfigFile(file);
  return file.values.stateMachine as string | undefined;
}
