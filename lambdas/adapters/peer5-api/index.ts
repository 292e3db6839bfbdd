export * from '../../core/export-errors.ts';
export { backoffDelay, parseRetryAfter } from './backoff.ts';
export {
  CLIENT_DEFAULTS,
  ExportClient,
  type ExportClientEvent,
  type ExportClientOptions,
  type ExportClientStats,
  type ExportErrorSummary,
} from './client.ts';
export { pulledFetch } from './http-fetch.ts';
export { RequestPacer } from './pacer.ts';
export { RowChecker, responseColumns } from './rows.ts';
