import { describe, expect, it } from 'vitest';
import { DIMENSIONS, type ExportRequest, findContractViolation, TIME } from '../../lambdas/core/contract.ts';
import { parseDatasets } from '../../lambdas/core/datasets.ts';
import { ExportRequestInvalidError } from '../../lambdas/core/export-errors.ts';
import { splitQuery } from '../../lambdas/core/query-split.ts';
import { validateReportSettings } from '../../lambdas/core/report/config.ts';

const NOW = Date.UTC(2025, 5, 20);
const FROM = Date.UTC(2025, 5, 15, 10);
const REQUEST: ExportRequest = { from: FROM, to: FROM + TIME.HOUR, interval: '1h', metrics: ['http'] };

const FILTERS: [string, unknown, boolean][] = [
  ['one value of one dimension', { 'country.code': ['BR'] }, true],
  ['values of every dimension', Object.fromEntries(DIMENSIONS.map((d) => [d, ['x', 'y']])), true],
  ['no filter at all', {}, true],
  ['an unknown dimension', { 'device.type': ['tv'] }, false],
  ['an empty list of values', { 'os.name': [] }, false],
  ['a value that is no string', { 'os.name': [7] }, false],
  ['a value instead of a list', { 'os.name': 'Linux' }, false],
  ['a list instead of an object', ['os.name'], false],
  ['null', null, false],
];

function acceptedByContract(filters: unknown): boolean {
  return findContractViolation({ ...REQUEST, filters }, NOW) === null;
}

function acceptedByDataset(filters: unknown): boolean {
  try {
    parseDatasets([{ name: 'd', interval: '1h', metrics: ['http'], cadence: 'hourly', filters }]);
    return true;
  } catch {
    return false;
  }
}

function acceptedByReport(filters: unknown): boolean {
  try {
    validateReportSettings(
      { from: 'a@example.com', to: ['b@example.com'], filters: filters as never },
      { topN: 5 },
    );
    return true;
  } catch {
    return false;
  }
}

describe('the filters rule', () => {
  it.each(FILTERS)('treats %s alike in a request, a dataset and the report settings', (_, filters, valid) => {
    expect(acceptedByContract(filters)).toBe(valid);
    expect(acceptedByDataset(filters)).toBe(valid);
    expect(acceptedByReport(filters)).toBe(valid);
  });

  it('names the filter and the rule, in the API words', () => {
    expect(findContractViolation({ ...REQUEST, filters: { 'os.name': [] } }, NOW)).toEqual({
      field: 'filters.os.name',
      message: '"filters.os.name" must be a non-empty array of strings',
    });
    expect(findContractViolation({ ...REQUEST, filters: { 'device.type': ['tv'] } }, NOW)).toEqual({
      field: 'filters.device.type',
      message: `"filters" has unknown key "device.type"; allowed: ${DIMENSIONS.join(', ')}`,
    });
    expect(findContractViolation({ ...REQUEST, filters: ['os.name'] }, NOW)).toEqual({
      field: 'filters',
      message: '"filters" must be an object',
    });
  });
});

describe('the rule of "from", "to" and "interval"', () => {
  it.each([
    ['a fraction', { from: FROM + 0.5 }],
    ['a string', { from: String(FROM) }],
    ['seconds', { from: FROM / 1000 }],
    ['an unaligned "from"', { from: FROM + TIME.MINUTE }],
    ['an unaligned "to"', { to: FROM + 90 * TIME.MINUTE }],
    ['an unknown interval', { interval: '2h' }],
  ])('words %s the same in the API contract and in the query splitter', (_, change) => {
    const request = { ...REQUEST, ...change } as ExportRequest;
    const violation = findContractViolation(request, NOW);
    expect(violation).not.toBeNull();
    const split = () => splitQuery(request, { now: NOW });
    expect(split).toThrow(ExportRequestInvalidError);
    try {
      split();
    } catch (error: unknown) {
      expect((error as ExportRequestInvalidError).field).toBe(violation?.field);
      expect((error as Error).message).toBe(violation?.message);
    }
  });
});
