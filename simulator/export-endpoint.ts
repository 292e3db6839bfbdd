/**
 * `POST /v1/export` exactly as the contract describes it: the rate limit, the queued fault, the
 * token, the `format` parameter and the body are checked in that order, then the rows are
 * streamed from the model.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ExportFormat,
  type ExportRequest,
  findContractViolation,
  INTERVAL_MS,
} from '../lambdas/core/contract.ts';
import { applyFault, type FaultEffect } from './faults.ts';
import { CONTENT_TYPES, encodedChunks, encoderFor } from './format.ts';
import { resolveExport } from './grouping.ts';
import { bucketSums } from './model.ts';
import { messageOf, parseJsonBody, readBody, sendError } from './responses.ts';
import type { SimulatorState } from './state.ts';
import { streamBody, streamTruncated } from './stream.ts';

export const EXPORT_PATH = '/v1/export';

type CheckedExport = { status: number; message: string } | { format: ExportFormat; body: ExportRequest };

/** Answers one export request; the path and method are already checked. */
export async function answerExport(
  state: SimulatorState,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const now = state.now();
  const limited = state.countAgainstRateLimit();
  const fault = state.takeFault();
  let text: string;
  try {
    text = await readBody(request);
  } catch (error: unknown) {
    state.record(400);
    sendError(response, 400, messageOf(error));
    return;
  }
  const effect = await applyFault(state, fault, request, response);
  if (effect === null) return;

  const outcome: CheckedExport = limited
    ? { status: 429, message: 'rate limit exceeded: too many requests; back off before retrying' }
    : checkExport(state, url, request, text, now);
  if ('message' in outcome) {
    if (effect.truncate) {
      await streamTruncated(state, response, '{"error":false,"data":[{"timestamp":', CONTENT_TYPES.json);
    } else {
      state.record(outcome.status);
      sendError(response, outcome.status, outcome.message);
    }
    return;
  }
  await streamExport(state, response, outcome.format, outcome.body, now, effect);
}

function checkExport(
  state: SimulatorState,
  url: URL,
  request: IncomingMessage,
  text: string,
  now: number,
): CheckedExport {
  const token = request.headers['x-auth-token'];
  if (token === undefined || token === '') {
    return { status: 401, message: 'the X-Auth-Token header is missing' };
  }
  if (typeof token !== 'string' || !state.acceptsToken(token)) {
    return { status: 401, message: 'the X-Auth-Token header holds an unknown token' };
  }
  const formats = url.searchParams.getAll('format');
  if (formats.length > 1) return { status: 400, message: '"format" must be given at most once' };
  const format = formats[0] ?? 'json';
  if (format !== 'json' && format !== 'csv') {
    return { status: 400, message: `"format" must be json or csv; got ${JSON.stringify(format)}` };
  }
  if (text.trim() === '') {
    return { status: 400, message: 'the request body is empty; it must be a JSON object' };
  }
  const parsed = parseJsonBody(text);
  if ('message' in parsed) return { status: 400, message: parsed.message };
  const violation = findContractViolation(parsed.value, now);
  if (violation) return { status: 400, message: violation.message };
  return { format, body: parsed.value as ExportRequest };
}

async function streamExport(
  state: SimulatorState,
  response: ServerResponse,
  format: ExportFormat,
  request: ExportRequest,
  now: number,
  effect: FaultEffect,
): Promise<void> {
  const { population } = state;
  const resolved = resolveExport(population, request.dimensions ?? [], request.filters);
  const encoder = encoderFor(format, resolved, request.metrics);
  const buckets = bucketSums(
    population,
    resolved,
    { from: request.from, to: request.to, intervalMs: INTERVAL_MS[request.interval] },
    now,
    state.lateDataDelayMs,
  );
  const chunks = encodedChunks(encoder, resolved, buckets);
  if (effect.truncate) {
    const first = chunks.next();
    await streamTruncated(state, response, first.done ? '' : first.value, encoder.contentType);
    return;
  }
  await streamBody(state, response, encoder.contentType, chunks, effect.drip);
}
