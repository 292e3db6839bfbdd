import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  CADENCE_MS,
  type DatasetDefinition,
  DEFAULT_DATASETS,
  LAKE_EPOCH,
  LAKE_EPOCH_MS,
  parseDatasets,
  windowAt,
} from '../../lambdas/core/datasets.ts';
import { provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import {
  DT_PARTITION,
  HOUR_PARTITION,
  LAKE_PREFIX_RULE,
  LakePrefixError,
  lakeKey,
  objectKey,
  type PartitionKeyLayout,
  partitionKeysOf,
  partitionValuesOf,
  RAW_TABLES,
  storageLocationTemplate,
  TableLayout,
  tablePrefix,
  windowStartOfKey,
} from '../../lambdas/core/lake/layout.ts';
import { tableInputOf } from '../../lib/lake-catalog.ts';

const [hourly, daily] = parseDatasets([
  { name: 'minutes', interval: '1m', metrics: ['http'], cadence: 'hourly' },
  { name: 'pages_1d', interval: '1d', metrics: ['http'], dimensions: ['session.page'], cadence: 'daily' },
]) as [DatasetDefinition, DatasetDefinition];

const DATASETS = [hourly, daily, ...DEFAULT_DATASETS];

/** Window starts from the lake's first day to the last hour of 2999, aligned to `dataset`. */
function windowStarts(dataset: DatasetDefinition): fc.Arbitrary<number> {
  const length = CADENCE_MS[dataset.cadence];
  const last = Date.UTC(2999, 11, 31, 23);
  return fc
    .integer({ min: 0, max: Math.floor((last - LAKE_EPOCH_MS) / length) })
    .map((index) => LAKE_EPOCH_MS + index * length);
}

describe('the lake prefix', () => {
  it('joins a key below a prefix, or leaves it at the root when the prefix is empty', () => {
    expect(lakeKey('peer5', 'by_page_1d')).toBe('peer5/by_page_1d');
    expect(lakeKey('analytics/peer5', '_leases/backfill')).toBe('analytics/peer5/_leases/backfill');
    expect(lakeKey('', 'by_page_1d')).toBe('by_page_1d');
  });

  it.each(['/peer5', 'peer5/', 'a//b', '../x', 'peer5/./lake', 'my lake'])(
    'refuses the prefix %j by the rule of the prefix setting, instead of trimming it',
    (prefix) => {
      expect(() => lakeKey(prefix, 'x')).toThrow(LakePrefixError);
      expect(() => lakeKey(prefix, 'x')).toThrow(`lake prefix ${JSON.stringify(prefix)} ${LAKE_PREFIX_RULE}`);
    },
  );
});

describe('the raw tables', () => {
  it('keep the keys the lake has always had, byte for byte', () => {
    const start = Date.UTC(2026, 10, 19, 7);
    expect(objectKey('peer5', windowAt(hourly, start))).toBe(
      'peer5/minutes/dt=2026-11-19/hour=07/minutes_2026-11-19T07.csv.gz',
    );
    expect(objectKey('', windowAt(daily, Date.UTC(2026, 10, 19)))).toBe(
      'pages_1d/dt=2026-11-19/pages_1d_2026-11-19.csv.gz',
    );
    expect(tablePrefix('analytics/peer5', hourly)).toBe('analytics/peer5/minutes/');
    expect(partitionValuesOf(windowAt(hourly, start))).toEqual({ dt: '2026-11-19', hour: '07' });
    expect(storageLocationTemplate('s3://bucket/', 'peer5', hourly)).toBe(
      `s3://bucket/peer5/minutes/dt=\${dt}/hour=\${hour}/`,
    );
    expect(storageLocationTemplate('s3://bucket', 'peer5', daily)).toBe(
      `s3://bucket/peer5/pages_1d/dt=\${dt}/`,
    );
    expect(partitionKeysOf(hourly).map((key) => key.name)).toEqual(['dt', 'hour']);
    expect(partitionKeysOf(daily).map((key) => key.name)).toEqual(['dt']);
  });

  it('read every key they write back to its window start', () => {
    for (const dataset of DATASETS) {
      for (const prefix of ['', 'peer5', 'analytics/peer5']) {
        fc.assert(
          fc.property(windowStarts(dataset), (start) => {
            const key = objectKey(prefix, windowAt(dataset, start));
            expect(windowStartOfKey(prefix, dataset, key)).toBe(start);
            expect(key.startsWith(tablePrefix(prefix, dataset))).toBe(true);
          }),
          { numRuns: 200 },
        );
      }
    }
  });

  it('take partition values that match their key, and add up to the window start', () => {
    for (const dataset of DATASETS) {
      fc.assert(
        fc.property(windowStarts(dataset), (start) => {
          const values = partitionValuesOf(windowAt(dataset, start));
          const keys = partitionKeysOf(dataset);
          expect(Object.keys(values)).toEqual(keys.map((key) => key.name));
          for (const key of keys) expect(values[key.name]).toMatch(key.pattern);
          expect(keys.reduce((sum, key) => sum + key.offsetOf(values[key.name] as string), 0)).toBe(start);
        }),
        { numRuns: 200 },
      );
    }
  });

  it.each([
    ['a day that does not exist', 'peer5/minutes/dt=2024-02-30/hour=01/minutes_2024-02-30T01.csv.gz'],
    ['hour 24', 'peer5/minutes/dt=2024-02-03/hour=24/minutes_2024-02-03T24.csv.gz'],
    ['a one-digit hour', 'peer5/minutes/dt=2024-02-03/hour=5/minutes_2024-02-03T5.csv.gz'],
    ['a daily key in an hourly table', 'peer5/minutes/dt=2024-02-03/minutes_2024-02-03.csv.gz'],
    ['a temp file', 'peer5/minutes/dt=2024-02-03/hour=05/minutes_2024-02-03T05.csv.gz.tmp'],
    ['a file of another name', 'peer5/minutes/dt=2024-02-03/hour=05/notes.csv.gz'],
    ['a folder too deep', 'peer5/minutes/dt=2024-02-03/hour=05/x/minutes_2024-02-03T05.csv.gz'],
    ['a two-digit year', 'peer5/minutes/dt=24-02-03/hour=05/minutes_24-02-03T05.csv.gz'],
    ['the folders swapped', 'peer5/minutes/hour=05/dt=2024-02-03/minutes_2024-02-03T05.csv.gz'],
    ['another prefix', 'other/minutes/dt=2024-02-03/hour=05/minutes_2024-02-03T05.csv.gz'],
    ['a provisional marker', provisionalMarkerKey('peer5', hourly, Date.UTC(2024, 1, 3, 5))],
  ])('name no window for %s', (_, key) => {
    expect(windowStartOfKey('peer5', hourly, key)).toBeNull();
  });

  it('name no window for an hourly key in a daily table', () => {
    expect(
      windowStartOfKey('peer5', daily, 'peer5/pages_1d/dt=2024-02-03/hour=00/pages_1d_2024-02-03.csv.gz'),
    ).toBeNull();
    expect(windowStartOfKey('peer5', daily, 'peer5/pages_1d/dt=2024-02-03/pages_1d_2024-02-03.csv.gz')).toBe(
      Date.UTC(2024, 1, 3),
    );
  });

  it('glob every object of a table, and no temp file', () => {
    const globRegex = (glob: string) =>
      new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`);
    for (const dataset of [hourly, daily]) {
      const glob = globRegex(`${tablePrefix('peer5', dataset)}${RAW_TABLES.objectGlob(dataset)}`);
      fc.assert(
        fc.property(windowStarts(dataset), (start) => {
          const key = objectKey('peer5', windowAt(dataset, start));
          expect(key).toMatch(glob);
          expect(`${key}.host.1.2.uuid.tmp`).not.toMatch(glob);
        }),
        { numRuns: 100 },
      );
    }
    expect(RAW_TABLES.objectGlob(hourly)).toBe('dt=*/hour=*/*.csv.gz');
    expect(RAW_TABLES.objectGlob(daily)).toBe('dt=*/*.csv.gz');
  });
});

/** The values Athena's projection of a key offers, from its parameters (the first `days` days). */
function projectedValues(key: PartitionKeyLayout, days: number): string[] {
  const { projection } = key;
  if (projection.type === 'integer') {
    const [low, high] = (projection.range as string).split(',').map(Number) as [number, number];
    const digits = Number(projection.digits ?? 1);
    return Array.from({ length: high - low + 1 }, (_, index) => String(low + index).padStart(digits, '0'));
  }
  expect(projection).toMatchObject({ type: 'date', interval: '1', 'interval.unit': 'DAYS' });
  const [first, last] = (projection.range as string).split(',');
  expect(last).toBe('NOW');
  // The Joda format as the writer's own form: yyyy, MM and dd are zero-padded fields.
  expect(projection.format).toBe('yyyy-MM-dd');
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(start + index * TIME.DAY);
    return (projection.format as string)
      .replace('yyyy', String(day.getUTCFullYear()).padStart(4, '0'))
      .replace('MM', String(day.getUTCMonth() + 1).padStart(2, '0'))
      .replace('dd', String(day.getUTCDate()).padStart(2, '0'));
  });
}

describe('the partition projection', () => {
  it('offers exactly the hours the writer writes', () => {
    const written = Array.from({ length: 24 }, (_, hour) =>
      HOUR_PARTITION.valueOf(Date.UTC(2024, 4, 1, hour)),
    );
    expect(projectedValues(HOUR_PARTITION, 0)).toEqual(written);
  });

  it("offers the writer's days, from the lake's first day on", () => {
    const days = 4 * 366;
    const written = Array.from({ length: days }, (_, index) =>
      DT_PARTITION.valueOf(LAKE_EPOCH_MS + index * TIME.DAY),
    );
    expect(projectedValues(DT_PARTITION, days)).toEqual(written);
    expect(written[0]).toBe(LAKE_EPOCH);
  });

  it('is what every Glue table gets, and all it gets', () => {
    for (const dataset of DATASETS) {
      const table = tableInputOf(dataset, { bucketName: 'lake-bucket', prefix: 'analytics/peer5' });
      const parameters = table.parameters as Record<string, string>;
      const layout = RAW_TABLES.projectionParameters('s3://lake-bucket', 'analytics/peer5', dataset);
      const partitionParameters = Object.fromEntries(
        Object.entries(parameters).filter(
          ([name]) => name.startsWith('projection.') || name === 'storage.location.template',
        ),
      );
      expect(partitionParameters).toEqual(layout);
      expect(layout).toEqual({
        'projection.enabled': 'true',
        ...Object.fromEntries(
          partitionKeysOf(dataset).flatMap((key) =>
            Object.entries(key.projection).map(([property, value]) => [
              `projection.${key.name}.${property}`,
              value,
            ]),
          ),
        ),
        'storage.location.template': `s3://lake-bucket/analytics/peer5/${dataset.name}/${partitionKeysOf(
          dataset,
        )
          .map((key) => `${key.name}=\${${key.name}}/`)
          .join('')}`,
      });
      expect(table.partitionKeys).toEqual(
        partitionKeysOf(dataset).map((key) => ({ name: key.name, type: 'string' })),
      );
      expect(table.storageDescriptor).toMatchObject({
        location: `s3://lake-bucket/${tablePrefix('analytics/peer5', dataset)}`,
      });
    }
  });

  it('locates each window at the folder of its object', () => {
    for (const dataset of DATASETS) {
      const template = storageLocationTemplate('s3://lake-bucket', 'peer5', dataset);
      fc.assert(
        fc.property(windowStarts(dataset), (start) => {
          const window = windowAt(dataset, start);
          const location = Object.entries(partitionValuesOf(window)).reduce(
            (text, [name, value]) => text.replace(`\${${name}}`, value),
            template,
          );
          const url = `s3://lake-bucket/${objectKey('peer5', window)}`;
          expect(url.startsWith(location)).toBe(true);
          expect(url.slice(location.length)).not.toContain('/');
        }),
        { numRuns: 100 },
      );
    }
  });
});

describe('a second family of tables', () => {
  // One file per UTC day, whatever the dataset's cadence: the shape of a compacted table.
  const days = new TableLayout({
    folderOf: (dataset) => `${dataset.name}_by_day`,
    partitionKeysOf: () => [DT_PARTITION],
    suffix: '.parquet',
  });

  it('is described by its folder, its keys and its suffix, and gets keys, location and projection', () => {
    const start = Date.UTC(2026, 10, 19);
    expect(days.objectKeyAt('peer5', hourly, start)).toBe(
      'peer5/minutes_by_day/dt=2026-11-19/minutes_2026-11-19.parquet',
    );
    expect(days.startOfKey('peer5', hourly, days.objectKeyAt('peer5', hourly, start))).toBe(start);
    expect(days.startOfKey('peer5', hourly, objectKey('peer5', windowAt(hourly, start)))).toBeNull();
    expect(days.projectionParameters('s3://b', 'peer5', hourly)).toEqual({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': `${LAKE_EPOCH},NOW`,
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://b/peer5/minutes_by_day/dt=\${dt}/`,
    });
    expect(days.objectGlob(hourly)).toBe('dt=*/*.parquet');
  });
});
