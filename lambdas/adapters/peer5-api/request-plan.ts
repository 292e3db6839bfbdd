/**
 * Request planning and validation: a query becomes API-legal requests, each checked against the
 * contract before anything is sent, so a bad query costs no API call.
 */
import { type ExportFormat, type ExportRequest, findContractViolation } from '../../core/contract.ts';
import { isoTime } from '../../core/dates.ts';
import { ExportRequestInvalidError } from '../../core/export-errors.ts';
import { splitQuery } from '../../core/query-split.ts';
import type { ExportQuery } from '../../core/source.ts';

/** How every message names a request: its interval and window. */
export function describeRequest(request: ExportRequest): string {
  return `${String(request.interval)} export of [${isoTime(request.from)}, ${isoTime(request.to)})`;
}

/** Only the contract's fields, whatever else the caller's object carries. */
export function requestBody(request: ExportRequest): string {
  const { from, to, interval, metrics, dimensions, filters } = request;
  return JSON.stringify({ from, to, interval, metrics, dimensions, filters });
}

/** Throws ExportRequestInvalidError, naming the field, if the contract forbids the request at `now`. */
export function validateRequest(request: ExportRequest, now: number): void {
  const violation = findContractViolation(request, now);
  if (violation) {
    throw new ExportRequestInvalidError(
      violation.field,
      `invalid ${describeRequest(request)}: ${violation.message}`,
      { request },
    );
  }
}

/** The API-legal requests of a query at `now`, every one checked. */
export function planRequests(query: ExportQuery, now: number): ExportRequest[] {
  const requests = splitQuery(query, { now });
  for (const request of requests) validateRequest(request, now);
  return requests;
}

/** The format, or ExportRequestInvalidError if it is neither csv nor json. */
export function checkedFormat(format: ExportFormat): ExportFormat {
  if (format !== 'csv' && format !== 'json') {
    throw new ExportRequestInvalidError('format', `"format" must be csv or json; got ${String(format)}`);
  }
  return format;
}
