/**
 * Which settings each handler reads from its environment. The stack writes exactly these (with
 * `lambdaEnvironment`) and the handlers read exactly these (with `readLambdaEnvironment`), so the
 * two sides cannot disagree. Pure constants: the CDK app imports this file.
 */
import type { SettingName } from '../core/config.ts';

/** The export handlers (hourly, daily, backfill): API, token and lake. */
export const EXPORT_SETTINGS = [
  'secretName',
  'apiBaseUrl',
  'bucketName',
  'prefix',
  'datasets',
  'settleHours',
] as const satisfies readonly SettingName[];

/**
 * What a scheduled function (hourly and daily export, report) reads to pace its requests to its
 * part of the budget (core/lake/backfill-budget.ts `scheduledPaceOf`).
 */
export const SCHEDULED_PACE_SETTINGS = ['apiRequestsPerMinute'] as const satisfies readonly SettingName[];

/** The scheduled export handlers (hourly, daily): an export run, paced to its part of the budget. */
export const SCHEDULED_EXPORT_SETTINGS = [
  ...EXPORT_SETTINGS,
  ...SCHEDULED_PACE_SETTINGS,
] as const satisfies readonly SettingName[];

/**
 * What a backfill function (the state machine's item function, and the on-demand `Backfill`, which
 * counts as one more item) reads to pace its requests to an item's share of the budget
 * (core/lake/backfill-budget.ts `backfillBudgetOf`).
 */
export const BACKFILL_PACE_SETTINGS = [
  'apiRequestsPerMinute',
  'backfillConcurrency',
] as const satisfies readonly SettingName[];

/** The backfill export handlers (the state machine's item, the on-demand `Backfill`): paced to an item's share. */
export const BACKFILL_EXPORT_SETTINGS = [
  ...EXPORT_SETTINGS,
  ...BACKFILL_PACE_SETTINGS,
] as const satisfies readonly SettingName[];

/** The report handler: API, token and pace, mail, the insights' settings, the lake for its health. */
export const REPORT_SETTINGS = [
  'secretName',
  'apiBaseUrl',
  ...SCHEDULED_PACE_SETTINGS,
  'sender',
  'recipients',
  'timeZone',
  'reportTopN',
  'currency',
  'materialOffloadPts',
  'materialDeliveredPercent',
  'materialRebufferPts',
  'bucketName',
  'prefix',
  'datasets',
  'databaseName',
] as const satisfies readonly SettingName[];

/** Settings the report reads when they are set; unset, they are absent from its environment. */
export const REPORT_OPTIONAL_SETTINGS = [
  'cdnPricePerGb',
  'runbookUrl',
] as const satisfies readonly SettingName[];

/**
 * What the stack tells the report besides settings: the Athena workgroup it created (its name is
 * the stack's, known at deploy time). The database is the `databaseName` setting.
 */
export const ATHENA_WORK_GROUP_VARIABLE = 'PEER5_ATHENA_WORK_GROUP';

/**
 * The key of the offload watch's state object, set only when the watch is deployed: the report
 * reads the day's incidents from it. Unset, the report has no alerts section.
 */
export const WATCH_STATE_KEY_VARIABLE = 'PEER5_WATCH_STATE_KEY';

/** The report check: only the zone, to say when the report was due in the report's own time. */
export const REPORT_CHECK_SETTINGS = ['timeZone'] as const satisfies readonly SettingName[];

/** The offload watch: the lake it reads, its thresholds, and whom it mails from where. */
export const WATCH_SETTINGS = [
  'bucketName',
  'prefix',
  'datasets',
  'timeZone',
  'sender',
  'watchRecipients',
  'watchDropPts',
  'watchMinTrafficShare',
] as const satisfies readonly SettingName[];

/** The ARN of the watch's own SNS topic: a resource of the stack, not a setting. */
export const WATCH_TOPIC_VARIABLE = 'PEER5_WATCH_TOPIC_ARN';

/**
 * Minutes after the hourly export that the offload watch runs: time for the export to write the
 * hour the watch checks. The watch judges the last complete hour at the export's time (its
 * scheduled time less this), so the pair works whatever minute the export runs at.
 */
export const WATCH_DELAY_MINUTES = 10;

/** Milliseconds before the Lambda timeout at which a handler stops starting new work. */
export const DEADLINE_MARGIN_VARIABLE = 'PEER5_DEADLINE_MARGIN_MS';
/** The margin when DEADLINE_MARGIN_VARIABLE is not set: enough to flush logs, metrics and an upload. */
export const DEFAULT_DEADLINE_MARGIN_MS = 30_000;

/**
 * The kinds of lake run, one per export function. Each kind holds its own run lease while it runs
 * (so two runs of one kind never overlap), and its deferred windows are counted under its name.
 */
export const RUN_KIND = {
  hourlyExport: 'hourly-export',
  dailyExport: 'daily-export',
  backfill: 'backfill',
} as const;
export type RunKind = (typeof RUN_KIND)[keyof typeof RUN_KIND];

/**
 * The Backfill state machine's names, shared by the stack and the command line: the stack output
 * that carries its ARN, the states the CLI follows, and the error its Fail state ends with.
 */
export const BACKFILL_WORKFLOW = {
  /** The stack's id (its name unless deployed under another). */
  stackName: 'Peer5Reporter',
  stateMachineOutput: 'BackfillStateMachine',
  planState: 'Plan',
  inlineMapState: 'Backfill items',
  distributedMapState: 'Backfill items (distributed)',
  summaryState: 'Summary',
  failState: 'Windows failed',
  failError: 'WindowsFailed',
} as const;
