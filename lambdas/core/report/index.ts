/** The daily offload report: scope, gather, summarise, render, deliver. */
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
export { explainReport, type ReportInsights } from './explain.ts';
export { rebufferBandOf } from './figures.ts';
export { formatBytes, formatPercent, formatPercentChange, formatPointsChange } from './format.ts';
export {
  accumulateBreakdown,
  type BreakdownDays,
  type BucketTotals,
  gatherReportData,
  type ReportData,
  type SegmentTotals,
} from './gather.ts';
export { CHART_CONTENT_ID, escapeHtml, renderReportHtml } from './html.ts';
export type { Mailer, MailerReceipt } from './mailer.ts';
export { type LakeHealth, lakeHealthOf, type ReportOps } from './ops.ts';
export { defaultReportDate, type RunReportOptions, type RunReportResult, runReport } from './run.ts';
export {
  type ReportScope,
  ReportWindowError,
  SEGMENT_DIMENSIONS,
  type SegmentDimension,
  scopeReport,
  TRAILING_DAYS,
} from './scope.ts';
export { DEFAULT_TOP_N, type ReportSummary, summarizeReport } from './summary.ts';
export { renderReportText } from './text.ts';
export { localDayWindow } from './time.ts';
