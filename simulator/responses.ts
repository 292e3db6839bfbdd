/**
 * The small HTTP pieces every simulator endpoint uses: reading a request body, parsing it as JSON
 * and sending a whole (not streamed) answer. Counting answers in the stats is up to the caller.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPES, errorBody } from './format.ts';

const MAX_BODY_BYTES = 1024 * 1024;
export const JSON_CONTENT_TYPE = CONTENT_TYPES.json;

export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new RequestBodyError(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      parts.push(part);
    });
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', (error) =>
      reject(new RequestBodyError(`reading the request body failed: ${error.message}`)),
    );
  });
}

/** A request body parsed as JSON, or the message of the 400 answer when it is not JSON. */
export function parseJsonBody(text: string): { readonly value: unknown } | { readonly message: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error: unknown) {
    return { message: `the request body is not valid JSON (${messageOf(error)})` };
  }
}

export function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

/** An error answer: the API's JSON error body, whatever format was asked for. */
export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(response, status, JSON_CONTENT_TYPE, errorBody(message), headers);
}
