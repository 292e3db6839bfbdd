import { describe, expect, it } from 'vitest';
import {
  checkedFormat,
  describeRequest,
  planRequests,
  requestBody,
  validateRequest,
} from '../../../lambdas/adapters/peer5-api/request-plan.ts';
import { type ExportFormat, type ExportRequest, TIME } from '../../../lambdas/core/contract.ts';
import { ExportRequestInvalidError } from '../../../lambdas/core/export-errors.ts';

const NOW = Date.UTC(2025, 5, 15, 12);
const FROM = Date.UTC(2025, 5, 15, 9);
const REQUEST: ExportRequest = { interval: '1h', from: FROM, to: FROM + 2 * TIME.HOUR, metrics: ['http'] };

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('describeRequest', () => {
  it('names the interval and the half-open window in ISO time', () => {
    expect(describeRequest(REQUEST)).toBe(
      '1h export of [2025-06-15T09:00:00.000Z, 2025-06-15T11:00:00.000Z)',
    );
  });
});

describe('requestBody', () => {
  it("sends only the contract's fields, whatever else the object carries", () => {
    const extra = {
      ...REQUEST,
      dimensions: ['country.code'],
      secretNote: 'not for the wire',
    } as ExportRequest;
    expect(JSON.parse(requestBody(extra))).toEqual({
      from: FROM,
      to: FROM + 2 * TIME.HOUR,
      interval: '1h',
      metrics: ['http'],
      dimensions: ['country.code'],
    });
  });
});

describe('validateRequest', () => {
  it('accepts a request the contract allows', () => {
    expect(thrown(() => validateRequest(REQUEST, NOW))).toBeUndefined();
  });

  it('throws ExportRequestInvalidError naming the field and the request', () => {
    const error = thrown(() => validateRequest({ ...REQUEST, metrics: [] }, NOW));
    expect(error).toBeInstanceOf(ExportRequestInvalidError);
    expect((error as ExportRequestInvalidError).field).toBe('metrics');
    expect((error as Error).message).toMatch(/^invalid 1h export of \[/);
  });
});

describe('planRequests', () => {
  it('splits a query into requests that each pass validation', () => {
    const requests = planRequests({ ...REQUEST, to: FROM + 3 * TIME.HOUR }, NOW);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests[0]?.from).toBe(FROM);
    expect(requests.at(-1)?.to).toBe(FROM + 3 * TIME.HOUR);
    for (const request of requests) expect(thrown(() => validateRequest(request, NOW))).toBeUndefined();
  });
});

describe('checkedFormat', () => {
  it('passes csv and json, and names the setting for anything else', () => {
    expect(checkedFormat('csv')).toBe('csv');
    expect(checkedFormat('json')).toBe('json');
    const error = thrown(() => checkedFormat('xml' as ExportFormat));
    expect(error).toBeInstanceOf(ExportRequestInvalidError);
    expect((error as ExportRequestInvalidError).field).toBe('format');
  });
});
