import { describe, expect, it } from 'vitest';
import { BENCH_DATASET } from '../../bench/settings.ts';
import {
  CURATED_METADATA_KEYS,
  CuratedDay,
  curatedColumnsOf,
  curatedParquet,
  glueColumnsOf,
  glueTypeOfParquet,
  PARQUET_TYPE_OF,
  parquetSchemaOf,
} from '../../lambdas/core/curated/index.ts';
import { columnsOf, type DatasetDefinition, DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { DAY, hyparquetMetadata } from './support.ts';

const DATASETS: readonly DatasetDefinition[] = [...DEFAULT_DATASETS, BENCH_DATASET];

describe('the curated Parquet schema', () => {
  it.each(DATASETS.map((d) => [d.name, d] as const))(
    'of %s has the raw table columns, in order, with the Glue types',
    (_name, dataset) => {
      expect(glueColumnsOf(dataset)).toEqual(columnsOf(dataset).map(({ name, type }) => ({ name, type })));
      const schema = parquetSchemaOf(dataset);
      expect(schema[0]).toEqual({ name: 'root', num_children: columnsOf(dataset).length });
      expect(schema.slice(1).map((element) => [element.name, glueTypeOfParquet(element)])).toEqual(
        glueColumnsOf(dataset).map((column) => [column.name, column.type]),
      );
    },
  );

  it.each(DATASETS.map((d) => [d.name, d] as const))(
    'of %s is what a written file declares, and its Glue types read back from that file',
    (_name, dataset) => {
      const metadata = hyparquetMetadata(curatedParquet(new CuratedDay(dataset, DAY)));
      const written = metadata.schema.slice(1);
      expect(written.map((element) => glueTypeOfParquet(element))).toEqual(
        glueColumnsOf(dataset).map((column) => column.type),
      );
      expect(
        written.map(({ name, type, converted_type, repetition_type }) => ({
          name,
          type,
          converted_type,
          repetition_type,
        })),
      ).toEqual(
        curatedColumnsOf(dataset).map(({ parquet }) => ({
          name: parquet.name,
          type: parquet.type,
          converted_type: parquet.converted_type,
          repetition_type: parquet.repetition_type,
        })),
      );
      expect(metadata.key_value_metadata).toEqual([
        { key: CURATED_METADATA_KEYS.dataset, value: dataset.name },
        { key: CURATED_METADATA_KEYS.day, value: new Date(DAY).toISOString().slice(0, 10) },
      ]);
    },
  );

  it('allows NULL in dimension columns only', () => {
    const columns = curatedColumnsOf(BENCH_DATASET);
    expect(columns.map((c) => [c.name, c.parquet.repetition_type])).toEqual([
      ['timestamp', 'REQUIRED'],
      ['city_name', 'OPTIONAL'],
      ['session_page', 'OPTIONAL'],
      ['http', 'REQUIRED'],
      ['p2p', 'REQUIRED'],
      ['played', 'REQUIRED'],
      ['rebuffered', 'REQUIRED'],
      ['sessions', 'REQUIRED'],
    ]);
  });

  it('maps back every Glue type, and no Parquet type Athena would read as another one', () => {
    for (const [type, element] of Object.entries(PARQUET_TYPE_OF))
      expect(glueTypeOfParquet(element)).toBe(type);
    expect(glueTypeOfParquet({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' })).toBeNull();
    expect(glueTypeOfParquet({ type: 'INT32' })).toBeNull();
    expect(glueTypeOfParquet({ type: 'FLOAT' })).toBeNull();
    expect(glueTypeOfParquet({ type: 'BYTE_ARRAY' })).toBeNull();
  });
});
