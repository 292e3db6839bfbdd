/** Small HTTP helpers for talking to a running simulator the way a client would. */
import type { RunningSimulator } from '../../simulator/index.ts';

export const TOKEN = 'demo-token';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface PostOptions {
  readonly format?: string;
  /** null sends no token at all. */
  readonly token?: string | null;
  /** Sent as is instead of JSON-encoding `body`. */
  readonly rawBody?: string;
  readonly signal?: AbortSignal;
}

export async function postExport(
  simulator: RunningSimulator,
  body: unknown,
  options: PostOptions = {},
): Promise<Answer> {
  const query = options.format === undefined ? '' : `?format=${encodeURIComponent(options.format)}`;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers['X-Auth-Token'] = token;
  const response = await fetch(`${simulator.url}/export${query}`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Posts and parses a successful JSON export, failing loudly on anything else. */
export async function exportData(
  simulator: RunningSimulator,
  body: unknown,
): Promise<Record<string, string | number | null>[]> {
  const answer = await postExport(simulator, body);
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.text}`);
  const parsed = JSON.parse(answer.text) as {
    error: boolean;
    data: Record<string, string | number | null>[];
  };
  if (parsed.error !== false) throw new Error(`expected error: false, got ${answer.text}`);
  return parsed.data;
}

/** The JSON error message of an answer. */
export function errorMessage(answer: Answer): string {
  const parsed = JSON.parse(answer.text) as { error: unknown; message: unknown };
  if (parsed.error !== true || typeof parsed.message !== 'string') {
    throw new Error(`not an error body: ${answer.text}`);
  }
  return parsed.message;
}

export async function admin(simulator: RunningSimulator, method: string, path: string, body?: unknown) {
  const base = simulator.url.replace(/\/v1$/, '');
  const response = await fetch(`${base}/_sim/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
