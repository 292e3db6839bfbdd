/**
 * The Glue tables, checked against the writer's own definitions (columns, partitions, where each
 * window's object lands, how OpenCSVSerde reads it back), and the Athena workgroup and queries.
 */
import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { columnsOf, type DatasetDefinition, LAKE_EPOCH, windowAt } from '../../lambdas/core/datasets.ts';
import { LAKE_SERDE_LIBRARY, LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { objectKey, partitionKeysOf, partitionValuesOf } from '../../lambdas/core/lake/layout.ts';
import { type OpenCsvParameters, openCsvFields } from '../support/opencsv.ts';
import { byType, defaultStack, flatten, logicalId, type Resource } from './synth.ts';

const BUCKET = 'lake-bucket-physical-name';

describe('the Glue tables of the stack with every default dataset', () => {
  const { resources, settings, lakeBucketId } = defaultStack();
  const refs = () => ({ [lakeBucketId]: BUCKET });

  function tableOf(dataset: DatasetDefinition) {
    const table = byType(resources, 'AWS::Glue::Table').find(
      ([, resource]) => resource.Properties.TableInput.Name === dataset.name,
    );
    if (!table) throw new Error(`no table ${dataset.name}`);
    return table[1].Properties.TableInput;
  }

  it('exist for every dataset, raw and curated, and no other', () => {
    expect(
      byType(resources, 'AWS::Glue::Table').map(([, table]) => table.Properties.TableInput.Name),
    ).toEqual([
      ...settings.datasets.map((dataset) => dataset.name),
      ...settings.datasets.map((dataset) => `${dataset.name}_curated`),
    ]);
  });

  it("have the writer's columns and partition keys", () => {
    for (const dataset of settings.datasets) {
      const table = tableOf(dataset);
      expect(table.StorageDescriptor.Columns).toEqual(
        columnsOf(dataset).map((column) => ({ Name: column.name, Type: column.type })),
      );
      expect(table.PartitionKeys).toEqual(
        partitionKeysOf(dataset).map((key) => ({ Name: key.name, Type: key.type })),
      );
    }
  });

  it('read gzip CSV with OpenCSVSerde, skipping the header line', () => {
    for (const dataset of settings.datasets) {
      const table = tableOf(dataset);
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      );
      expect(LAKE_SERDE_LIBRARY).toBe('org.apache.hadoop.hive.serde2.OpenCSVSerde');
      expect(table.StorageDescriptor.SerdeInfo.Parameters).toEqual({
        separatorChar: ',',
        quoteChar: '"',
        escapeChar: '\\',
      });
      expect(table.StorageDescriptor.Compressed).toBe(true);
      expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
      expect(table.Parameters['skip.header.line.count']).toBe('1');
      expect(table.TableType).toBe('EXTERNAL_TABLE');
    }
  });

  it('project every day from the first day a backfill may write, before the API had data', () => {
    for (const dataset of settings.datasets) {
      const [start, end] = String(tableOf(dataset).Parameters['projection.dt.range']).split(',');
      expect([start, end]).toEqual([LAKE_EPOCH, 'NOW']);
    }
    // Daily data has no look-back limit: the first projected day must predate any Peer5 data.
    expect(LAKE_EPOCH <= '2015-01-01').toBe(true);
  });

  it('project dt as a day and hour as two digits', () => {
    for (const dataset of settings.datasets) {
      const parameters = tableOf(dataset).Parameters;
      expect(parameters['projection.enabled']).toBe('true');
      expect(parameters).toMatchObject({
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${LAKE_EPOCH},NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
      });
      if (dataset.cadence === 'hourly') {
        expect(parameters).toMatchObject({
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
        });
      } else {
        expect(parameters['projection.hour.type']).toBeUndefined();
      }
    }
  });

  it("locate every partition exactly where the writer puts that window's object", () => {
    const samples = [Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 6, 15, 9), Date.UTC(2025, 11, 31, 23)];
    for (const dataset of settings.datasets) {
      const table = tableOf(dataset);
      const template = flatten(table.Parameters['storage.location.template'], refs());
      for (const keyName of partitionKeysOf(dataset).map((key) => key.name)) {
        expect(template).toContain(`\${${keyName}}`);
      }
      for (const sample of samples) {
        const length = dataset.cadence === 'hourly' ? TIME.HOUR : TIME.DAY;
        const window = windowAt(dataset, sample - (sample % length));
        const location = Object.entries(partitionValuesOf(window)).reduce(
          (text, [name, value]) => text.replace(`\${${name}}`, value),
          template,
        );
        const key = objectKey(settings.prefix, window);
        expect(`s3://${BUCKET}/${key}`.startsWith(location)).toBe(true);
        expect(`s3://${BUCKET}/${key}`.slice(location.length)).not.toContain('/');
      }
      expect(flatten(table.StorageDescriptor.Location, refs())).toBe(`s3://${BUCKET}/peer5/${dataset.name}/`);
    }
  });

  it("read back the writer's trickiest dimension values exactly, as Athena's OpenCSVSerde would", () => {
    const dataset = settings.datasets.find(
      (candidate) => candidate.dimensions.length === 2,
    ) as DatasetDefinition;
    const parameters = tableOf(dataset).StorageDescriptor.SerdeInfo.Parameters as OpenCsvParameters;
    const encoder = new LakeCsvEncoder(dataset);
    const values = [
      'São Paulo, SP',
      'say "hi"',
      'C:\\temp\\new',
      'ends with a backslash\\',
      '\\"',
      '=HYPERLINK("x")',
      '@mention',
      ' leading and trailing ',
      '東京',
      'https://example.com/watch?v=1&t="2"<script>alert(1)</script>',
      '',
    ];
    for (const value of values) {
      const line = encoder.line({
        timestamp: Date.UTC(2024, 4, 1),
        dimensions: { [dataset.dimensions[0] as string]: value, [dataset.dimensions[1] as string]: 'x' },
        metrics: { http: 1, p2p: 2, played: 3, rebuffered: 4, sessions: 1.5 },
      });
      const fields = openCsvFields(line.replace(/\n$/, ''), parameters);
      expect(fields[1], JSON.stringify(value)).toBe(value);
      expect(fields).toHaveLength(columnsOf(dataset).length);
    }
  });
});

describe('the Athena workgroup of the stack with every default dataset', () => {
  const { resources } = defaultStack();

  it('enforces its workgroup configuration with encrypted results in their own bucket', () => {
    const resultsId = logicalId(resources, 'AWS::S3::Bucket', 'CatalogQueryResults');
    const [, workGroup] = byType(resources, 'AWS::Athena::WorkGroup')[0] as [string, Resource];
    const configuration = workGroup.Properties.WorkGroupConfiguration;
    expect(configuration.EnforceWorkGroupConfiguration).toBe(true);
    // The athenaScanCutoffGb default: 10 GB a query.
    expect(configuration.BytesScannedCutoffPerQuery).toBe(10_000_000_000);
    expect(configuration.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_S3',
    });
    expect(flatten(configuration.ResultConfiguration.OutputLocation)).toBe(`s3://<${resultsId}>/results/`);
  });

  it('saves the offload queries against tables of the database', () => {
    const queries = byType(resources, 'AWS::Athena::NamedQuery').map(([, query]) => query.Properties);
    expect(queries.map((query) => query.Name)).toEqual(['Daily offload by country', 'Hourly offload trend']);
    expect(queries[0]?.QueryString).toContain('FROM "peer5_reporter"."by_country_1h_curated"');
    expect(queries[0]?.QueryString).toContain('GROUP BY dt, country_code');
    expect(queries[1]?.QueryString).toContain('FROM "peer5_reporter"."totals_1m"');
    expect(queries[1]?.QueryString).toContain('GROUP BY dt, hour');
    for (const query of queries) expect(query.Database).toBe('peer5_reporter');
  });
});
