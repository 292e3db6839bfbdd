import { describe, expect, it } from 'vitest';
import { DatasetDefinitionError, DEFAULT_DATASETS, parseDatasets } from '../../lambdas/core/datasets.ts';

const VALID = { name: 'by_os_1h', interval: '1h', metrics: ['http', 'p2p'], cadence: 'hourly' };

function problemWith(input: unknown): string {
  try {
    parseDatasets(input);
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(DatasetDefinitionError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('dataset definitions', () => {
  it('accept the built-in datasets and a minimal definition, with defaults filled in', () => {
    expect(DEFAULT_DATASETS.map((dataset) => dataset.name)).toEqual([
      'totals_1m',
      'by_country_1h',
      'by_browser_os_1h',
      'by_country_isp_1h',
      'by_page_1d',
    ]);
    expect(parseDatasets([VALID])).toEqual([{ ...VALID, description: '', dimensions: [] }]);
  });

  it.each([
    [{ ...VALID, filter: { 'country.code': ['US'] } }, 'datasets[0] (by_os_1h): Unrecognized key: "filter"'],
    [{ ...VALID, name: 'By-OS' }, 'datasets[0] (By-OS).name: must be lower snake case'],
    [
      { ...VALID, name: 'by_os_curated' },
      'datasets[0] (by_os_curated).name: must not end in "_curated": that names the dataset\'s curated table',
    ],
    [
      { ...VALID, interval: '1d' },
      'datasets[0] (by_os_1h).interval: an hourly dataset needs an interval that divides an hour; 1d does not',
    ],
    [
      { ...VALID, cadence: 'daily', interval: '7d' },
      'datasets[0] (by_os_1h).interval: a daily dataset needs an interval that divides a day; 7d does not',
    ],
    [{ ...VALID, interval: '2h' }, 'datasets[0] (by_os_1h).interval: Invalid option'],
    [{ ...VALID, metrics: [] }, 'datasets[0] (by_os_1h).metrics: must list at least one metric'],
    [{ ...VALID, metrics: ['http', 'http'] }, 'datasets[0] (by_os_1h).metrics: must not list a metric twice'],
    [{ ...VALID, metrics: ['bytes'] }, 'datasets[0] (by_os_1h).metrics[0]: Invalid option'],
    [
      { ...VALID, dimensions: ['os.name', 'browser.name', 'isp.name'] },
      'datasets[0] (by_os_1h).dimensions: allows at most 2 dimensions (an API limit)',
    ],
    [
      { ...VALID, dimensions: ['os.name', 'os.name'] },
      'datasets[0] (by_os_1h).dimensions: must not list a dimension twice',
    ],
    [
      { ...VALID, filters: { 'country.code': [] } },
      'datasets[0] (by_os_1h).filters["country.code"]: each filter needs at least one value',
    ],
    [
      { ...VALID, filters: { planet: ['Mars'] } },
      'datasets[0] (by_os_1h).filters: Unrecognized key: "planet"',
    ],
    [{ ...VALID, cadence: 'weekly' }, 'datasets[0] (by_os_1h).cadence: Invalid option'],
  ])('refuse %j, naming the dataset, the field and the rule', (definition, message) => {
    expect(problemWith([definition])).toContain(message);
  });

  it('refuse an empty list and duplicate names', () => {
    expect(problemWith([])).toContain('datasets: must define at least one dataset');
    expect(problemWith([VALID, VALID])).toContain('datasets: dataset names must be unique');
  });
});
