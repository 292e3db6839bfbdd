/**
 * Injected faults: what the simulator does with the fault queued for an export request. Most
 * answer the request in place of the export; a delay holds it back, and a drip or a truncation
 * changes how the normal answer is streamed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './format.ts';
import { JSON_CONTENT_TYPE, send, sendError } from './responses.ts';
import type { SimulatorFault } from './settings.ts';
import type { SimulatorState } from './state.ts';
import { type Drip, waitUnlessClosed } from './stream.ts';

/** Status recorded in the stats for a connection reset without any answer. */
export const RESET_STATUS = 0;

const HTML_PAGE = `<!DOCTYPE html>
<html>
<head><title>503 Service Temporarily Unavailable</title></head>
<body>
<h1>We'll be right back</h1>
<p>The analytics service is undergoing scheduled maintenance. Please try again later.</p>
</body>
</html>
`;

/** How a fault changes the normal answer, when it leaves one to give. */
export interface FaultEffect {
  /** Cut the body off half-way through its first chunk. */
  readonly truncate: boolean;
  /** Send the body a few bytes at a time. */
  readonly drip?: Drip;
}

const NO_EFFECT: FaultEffect = { truncate: false };

/**
 * Applies the fault queued for an export request: answers in its place (null: nothing more to
 * send), or says how the normal answer is to be given.
 */
export async function applyFault(
  state: SimulatorState,
  fault: SimulatorFault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<FaultEffect | null> {
  if (fault === undefined) return NO_EFFECT;
  if ('status' in fault) {
    const message =
      fault.status === 429
        ? 'rate limit exceeded: too many requests (simulated)'
        : `the server failed to produce the export (simulated ${fault.status})`;
    const headers: Record<string, string> =
      fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
    state.record(fault.status);
    sendError(response, fault.status, message, headers);
    return null;
  }
  switch (fault.kind) {
    case 'reset':
      state.record(RESET_STATUS);
      resetConnection(request);
      return null;
    case 'error-body':
      state.record(200);
      send(response, 200, JSON_CONTENT_TYPE, errorBody('internal error (simulated)'));
      return null;
    case 'html':
      state.record(200);
      send(response, 200, 'text/html; charset=utf-8', HTML_PAGE);
      return null;
    case 'delay':
      return (await waitUnlessClosed(response, fault.ms)) ? NO_EFFECT : null;
    case 'drip':
      return { truncate: false, drip: { bytes: fault.bytes, everyMs: fault.everyMs } };
    case 'truncate':
      return { truncate: true };
  }
}

function resetConnection(request: IncomingMessage): void {
  const { socket } = request;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
