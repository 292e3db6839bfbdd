/** The daily offload report: plan, gather, summarise, render, deliver. */
export { CHART_COLORS, CHART_HEIGHT, CHART_SCALE, CHART_WIDTH, renderOffloadChart } from './chart.ts';
export {
  DEFAULT_TIME_ZONE,
  emailAddressOf,
  ReportConfigError,
  type ReportSettings,
  type ReportSettingsInput,
  validateReportSettings,
} from './config.ts';
export { BREAKDOWN_CSV_HEADER, breakdownCsvName, neutralizeFormula, renderBreakdownCsv } from './csv.ts';
export { type DeliveryFailure, deliveryErrorFrom, ReportDeliveryError } from './delivery-error.ts';
export { type ComposeOptions, composeReportEmail, type ReportEmail, reportSubject } from './email.ts';
export { formatBytes, formatPercent, formatPercentChange, formatPointsChange } from './format.ts';
export {
  accumulateSegments,
  type BucketTotals,
  gatherReportData,
  type ReportData,
  type SegmentDays,
  type SegmentTotals,
} from './gather.ts';
export { CHART_CONTENT_ID, escapeHtml, renderReportHtml } from './html.ts';
export type { Mailer, MailerReceipt } from './mailer.ts';
export { OutboxMailer, type OutboxMailerOptions } from './outbox-mailer.ts';
export {
  planReport,
  type ReportPlan,
  ReportWindowError,
  SEGMENT_DIMENSIONS,
  type SegmentDimension,
  TRAILING_DAYS,
} from './plan.ts';
export { defaultReportDate, type RunReportOptions, type RunReportResult, runReport } from './run.ts';
export {
  DEFAULT_TOP_N,
  type ReportSummary,
  rebufferBandOf,
  summarizeReport,
} from './summary.ts';
export { renderReportText } from './text.ts';
export { localDayWindow } from './time.ts';
