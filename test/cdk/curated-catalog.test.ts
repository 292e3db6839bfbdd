/**
 * The curated Glue tables, checked from the synthesized template against what the curated writer
 * really writes: a file's Parquet schema, read back by hyparquet, must map to the table's column
 * names and Glue types one for one (Athena matches by name and fails a query on a type it cannot
 * read), and each day's file must land where the table's partition projection looks for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CURATED_INPUT_FORMAT,
  CURATED_SERDE_LIBRARY,
  CuratedDay,
  curatedParquet,
  glueTypeOfParquet,
} from '../../lambdas/core/curated/index.ts';
import { LAKE_EPOCH } from '../../lambdas/core/datasets.ts';
import { CURATED_TABLES } from '../../lambdas/core/lake/layout.ts';
import { DAY, hyparquetMetadata, windowRecords, writeDay } from '../curated/support.ts';
import { byType, defaultStack, flatten } from './synth.ts';

const BUCKET = 'lake-bucket-physical-name';

describe('the curated Glue tables of the stack with every default dataset', () => {
  const { resources, settings, lakeBucketId } = defaultStack();
  const refs = () => ({ [lakeBucketId]: BUCKET });
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'peer5-curated-catalog-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const curatedTables = () =>
    new Map(
      byType(resources, 'AWS::Glue::Table')
        .map(([, table]) => table.Properties.TableInput)
        .filter((input) => String(input.Name).endsWith('_curated'))
        .map((input) => [String(input.Name), input]),
    );

  it('are one per dataset, named <dataset>_curated', () => {
    expect([...curatedTables().keys()]).toEqual(
      settings.datasets.map((dataset) => `${dataset.name}_curated`),
    );
  });

  it.each(settings.datasets.map((dataset) => [dataset.name, dataset] as const))(
    "%s: has the written file's columns, each with the Glue type Athena reads its Parquet type as",
    async (_name, dataset) => {
      const table = curatedTables().get(CURATED_TABLES.tableNameOf(dataset));
      const { keys } = await writeDay(path.join(root, dataset.name), dataset, { seed: 7 });
      const day = new CuratedDay(dataset, DAY);
      for (const key of keys) await day.addWindow(windowRecords(path.join(root, dataset.name), key), key);
      const metadata = hyparquetMetadata(curatedParquet(day));
      const written = metadata.schema.slice(1).map((element) => ({
        Name: element.name,
        Type: glueTypeOfParquet(element),
      }));
      expect(table.StorageDescriptor.Columns).toEqual(written);
      expect(written.every((column) => column.Type !== null)).toBe(true);
    },
  );

  it('read Parquet with the Hive Parquet SerDe, with no header to skip', () => {
    for (const table of curatedTables().values()) {
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      expect(CURATED_SERDE_LIBRARY).toBe(table.StorageDescriptor.SerdeInfo.SerializationLibrary);
      expect(table.StorageDescriptor.InputFormat).toBe(CURATED_INPUT_FORMAT);
      expect(table.Parameters.classification).toBe('parquet');
      expect(table.Parameters['skip.header.line.count']).toBeUndefined();
      expect(table.TableType).toBe('EXTERNAL_TABLE');
    }
  });

  it("project dt alone, over every day, and locate each day's file where the writer puts it", () => {
    const samples = [Date.UTC(2024, 0, 1), Date.UTC(2024, 6, 15), Date.UTC(2025, 11, 31)];
    for (const dataset of settings.datasets) {
      const table = curatedTables().get(CURATED_TABLES.tableNameOf(dataset));
      expect(table.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
      expect(table.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.range': `${LAKE_EPOCH},NOW`,
      });
      expect(table.Parameters['projection.hour.type']).toBeUndefined();
      const template = flatten(table.Parameters['storage.location.template'], refs());
      for (const day of samples) {
        const location = template.replace(`\${dt}`, new Date(day).toISOString().slice(0, 10));
        const key = `s3://${BUCKET}/${CURATED_TABLES.objectKeyAt(settings.prefix, dataset, day)}`;
        expect(key.startsWith(location)).toBe(true);
        expect(key.slice(location.length)).toBe(`${dataset.name}_${location.slice(-11, -1)}.parquet`);
      }
      expect(flatten(table.StorageDescriptor.Location, refs())).toBe(
        `s3://${BUCKET}/peer5/${dataset.name}_curated/`,
      );
    }
  });
});
