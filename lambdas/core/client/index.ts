export { backoffDelay, parseRetryAfter } from './backoff.ts';
export {
  CLIENT_DEFAULTS,
  DEFAULT_BASE_URL,
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
  type ExportClientStats,
  type ExportErrorSummary,
} from './client.ts';
export * from './errors.ts';
export { RowChecker, responseColumns } from './rows.ts';
