/** What the client reports while it works: request, response, retry and outcome events. */
import type { ExportFormat, ExportRequest } from '../../core/contract.ts';
import type { ExportApiError } from '../../core/export-errors.ts';

export interface ExportErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
}

export interface RequestSummary {
  readonly interval: ExportRequest['interval'];
  readonly from: number;
  readonly to: number;
}

export type ExportClientEvent =
  | (RequestSummary & { readonly type: 'request'; readonly attempt: number; readonly format: ExportFormat })
  | (RequestSummary & {
      readonly type: 'response';
      readonly attempt: number;
      readonly status: number;
      readonly elapsedMs: number;
    })
  | (RequestSummary & { readonly type: 'token-refresh' })
  | (RequestSummary & {
      readonly type: 'retry';
      readonly attempt: number;
      /** The wait before the next attempt. */
      readonly delayMs: number;
      /** The wait the server or the backoff asked for, before the cap of `maxWaitMs`. */
      readonly requestedMs: number;
      readonly error: ExportErrorSummary;
    })
  | (RequestSummary & {
      readonly type: 'done';
      readonly attempts: number;
      readonly rows: number;
      readonly bytes: number;
      readonly elapsedMs: number;
    })
  | (RequestSummary & {
      readonly type: 'failed';
      readonly attempts: number;
      readonly error: ExportErrorSummary;
    });

export type EmitEvent = (event: ExportClientEvent) => void;

/** The request's window, without its metrics, dimensions or filters. */
export function summarizeRequest(request: ExportRequest): RequestSummary {
  return { interval: request.interval, from: request.from, to: request.to };
}

export function summarizeError(error: ExportApiError): ExportErrorSummary {
  return { name: error.name, message: error.message, status: error.status, retryable: error.retryable };
}

/** Calls the hook with every event; a failing log hook must not fail the export. */
export function eventEmitter(onEvent: EmitEvent | undefined): EmitEvent {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // Swallowed on purpose: see above.
    }
  };
}
