/**
 * What the body parsers report; the client turns it into a public error with the status, the
 * request and how many rows were already delivered.
 */
export type BodyProblem =
  /** The body stopped before it was complete. */
  | 'truncated'
  /** The body is not the format asked for (HTML, garbage, wrong shape). */
  | 'malformed'
  /** The body is the API's own `{"error": true, "message": ...}`. */
  | 'api-error';

export class BodyParseError extends Error {
  override readonly name = 'BodyParseError';
  readonly problem: BodyProblem;
  constructor(problem: BodyProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** Longest single JSON value, CSV sniff or error body we keep in memory, in UTF-16 units. */
export const MAX_BUFFERED_VALUE = 1 << 20;

/** Reads `{"error": true, "message": "..."}` (any shape, really) and returns its message, if any. */
export function apiErrorMessage(parsed: unknown): string | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const message = (parsed as Record<string, unknown>).message;
  return typeof message === 'string' ? message : undefined;
}
