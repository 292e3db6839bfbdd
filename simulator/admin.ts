/**
 * The admin endpoints under `/_sim/`: not part of the API, no token needed, not counted in the
 * stats. Each route is a name and, per method, an action that gets the parsed JSON body
 * (undefined for GET and DELETE) and returns the answer; a SimulatorConfigError it throws is a
 * 400 naming the field. To add an endpoint, add its entry to `adminRoutes`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseIncidentsBody } from './incidents.ts';
import { JSON_CONTENT_TYPE, messageOf, parseJsonBody, readBody, send, sendError } from './responses.ts';
import { parseClockBody, parseConfigPatch, parseFaultsBody, SimulatorConfigError } from './settings.ts';
import type { SimulatorState } from './state.ts';

export const ADMIN_PREFIX = '/_sim/';

type AdminMethod = 'GET' | 'POST' | 'DELETE';
type AdminAction = (body: unknown) => unknown;
type AdminRoutes = Readonly<Record<string, Readonly<Partial<Record<AdminMethod, AdminAction>>>>>;

/** `/_sim/<name>` -> method -> action. Changes answer with the new state, as `GET /_sim/state` does. */
function adminRoutes(state: SimulatorState): AdminRoutes {
  const thenState =
    (change: (body: unknown) => void): AdminAction =>
    (body) => {
      change(body);
      return state.describe();
    };
  return {
    state: { GET: () => state.describe() },
    clock: { POST: thenState((body) => state.setClock(parseClockBody(body))) },
    faults: {
      POST: thenState((body) => state.queueFaults(parseFaultsBody(body))),
      DELETE: thenState(() => state.clearFaults()),
    },
    config: { POST: thenState((body) => state.applyConfig(parseConfigPatch(body))) },
    // Staged incidents answer with the list, which POST adds to and DELETE clears.
    incidents: {
      GET: () => ({ incidents: state.incidents }),
      POST: (body) => {
        state.addIncidents(parseIncidentsBody(body));
        return { incidents: state.incidents };
      },
      DELETE: () => {
        state.clearIncidents();
        return { incidents: state.incidents };
      },
    },
  };
}

/** The handler of every path under ADMIN_PREFIX; gets the path without the prefix. */
export function adminEndpoint(
  state: SimulatorState,
): (path: string, request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const routes = adminRoutes(state);
  return async (path, request, response) => {
    // Own keys only: `constructor` or `toString` are not admin paths.
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    let text: string;
    try {
      text = await readBody(request);
    } catch (error: unknown) {
      sendError(response, 400, messageOf(error));
      return;
    }
    if (!route) {
      const known = Object.keys(routes).map((name) => `${ADMIN_PREFIX}${name}`);
      sendError(response, 404, `no such admin path ${ADMIN_PREFIX}${path}; known: ${known.join(', ')}`);
      return;
    }
    const action = route[request.method as AdminMethod];
    if (!action) {
      const allowed = Object.keys(route).join(', ');
      response.setHeader('Allow', allowed);
      sendError(
        response,
        405,
        `method ${request.method} is not allowed on ${ADMIN_PREFIX}${path}; use ${allowed}`,
      );
      return;
    }
    let body: unknown;
    if (request.method !== 'GET' && request.method !== 'DELETE') {
      const parsed = parseJsonBody(text);
      if ('message' in parsed) {
        sendError(response, 400, parsed.message);
        return;
      }
      body = parsed.value;
    }
    try {
      send(response, 200, JSON_CONTENT_TYPE, JSON.stringify(action(body)));
    } catch (error: unknown) {
      if (!(error instanceof SimulatorConfigError)) throw error;
      sendError(response, 400, error.message);
    }
  };
}
