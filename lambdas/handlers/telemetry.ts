/**
 * Names shared by the handlers that emit metrics and the stack that alarms on them. Pure
 * constants: the CDK app imports this file without pulling in any runtime code.
 */

/** CloudWatch namespace of every custom metric (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Peer5Reporter';

/** Powertools service name; it becomes the only dimension (`service`) of every metric. */
export const SERVICE_NAME = 'peer5-reporter';

export const METRIC = {
  rows: 'Rows',
  bytes: 'Bytes',
  apiRequests: 'ApiRequests',
  apiRetries: 'ApiRetries',
  windowsWritten: 'WindowsWritten',
  gapsFound: 'GapsFound',
  windowsFailed: 'WindowsFailed',
  windowsDeferred: 'WindowsDeferred',
  /** Curated days (one Parquet file each) written after a run. */
  curatedDaysWritten: 'CuratedDaysWritten',
  /** Curated days that could not be written; their mark stays, so the next run tries again. */
  curatedDaysFailed: 'CuratedDaysFailed',
  reportsSent: 'ReportsSent',
  reportsLate: 'ReportsLate',
  /** Alerts the offload watch raised (a new incident each). */
  offloadAlerts: 'OffloadAlerts',
  /** 1 while an offload incident is open, 0 otherwise; emitted by every watch run that judged an hour. */
  offloadIncidentOpen: 'OffloadIncidentOpen',
  /** Hours the watch could not judge because a lake window was missing. */
  watchMissingData: 'WatchMissingData',
} as const;

/**
 * Second dimension of `WindowsDeferred`, also emitted per kind of run (`RUN_KIND`), so that an
 * alarm can watch the scheduled exports without the backfill, whose deferrals are routine.
 */
export const RUN_DIMENSION = 'run';

/**
 * How long after the report's scheduled time the report check runs. A report that CloudWatch has
 * not counted in `ReportsSent` by then is late: the check records `ReportsLate` = 1.
 */
export const REPORT_CHECK_DELAY_MINUTES = 60;

/** Environment variables the stack sets for Powertools, next to the product settings. */
export const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
} as const;
