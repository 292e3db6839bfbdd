/**
 * The simulator's HTTP side: routes each request to `POST /v1/export` (export-endpoint.ts) or to
 * the admin endpoints under `/_sim/` (admin.ts), and answers anything else with the API's 404 or
 * 405. An unexpected failure is a 500, or a dropped connection once an answer has started.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, adminEndpoint } from './admin.ts';
import { answerExport, EXPORT_PATH } from './export-endpoint.ts';
import { messageOf, sendError } from './responses.ts';
import type { SimulatorState } from './state.ts';

/** The request handler of a simulator, for `http.createServer`. */
export function requestHandler(
  state: SimulatorState,
): (request: IncomingMessage, response: ServerResponse) => void {
  const admin = adminEndpoint(state);

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      await admin(url.pathname.slice(ADMIN_PREFIX.length), request, response);
      return;
    }
    state.stats.requests++;
    if (url.pathname !== EXPORT_PATH) {
      request.resume();
      state.record(404);
      sendError(response, 404, `no such path ${url.pathname}; the only endpoint is POST ${EXPORT_PATH}`);
      return;
    }
    if (request.method !== 'POST') {
      request.resume();
      response.setHeader('Allow', 'POST');
      state.record(405);
      sendError(response, 405, `method ${request.method} is not allowed on ${EXPORT_PATH}; use POST`);
      return;
    }
    await answerExport(state, url, request, response);
  };

  return (request, response) => {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendError(response, 500, `the simulator failed: ${messageOf(error)}`);
      } else {
        response.destroy();
      }
    });
  };
}
