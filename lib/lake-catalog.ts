/**
 * The Glue database with two tables per dataset, the raw one (`<dataset>`, a gzip CSV per window)
 * and the curated one (`<dataset>_curated`, a Parquet file per UTC day), and the Athena workgroup to
 * query them. Every table is derived from the dataset definition and the writer's own layout
 * descriptors (RAW_TABLES, CURATED_TABLES), so the catalogue cannot drift from what the Lambdas write.
 */
import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  CURATED_INPUT_FORMAT,
  CURATED_OUTPUT_FORMAT,
  CURATED_SERDE_LIBRARY,
  glueColumnsOf,
} from '../lambdas/core/curated/schema.ts';
import { columnsOf, type DatasetDefinition } from '../lambdas/core/datasets.ts';
import {
  LAKE_SERDE_LIBRARY,
  LAKE_SERDE_PARAMETERS,
  LAKE_TABLE_PARAMETERS,
} from '../lambdas/core/lake/csv.ts';
import { CURATED_TABLES, RAW_TABLES } from '../lambdas/core/lake/layout.ts';
import { DEFAULT_ATHENA_SCAN_CUTOFF_GB } from '../lambdas/core/settings/fields.ts';
import { savedQueries } from './athena-queries.ts';
import { INCOMPLETE_UPLOAD_EXPIRATION, QUERY_RESULTS_EXPIRATION, SECURE_BUCKET_PROPS } from './defaults.ts';

/** The Glue `TableInput` of a dataset's table over `s3://<bucket>/<prefix>/<dataset>/`. */
export function tableInputOf(
  dataset: DatasetDefinition,
  location: { readonly bucketName: string; readonly prefix: string },
): glue.CfnTable.TableInputProperty {
  const bucketUrl = `s3://${location.bucketName}`;
  return {
    name: RAW_TABLES.tableNameOf(dataset),
    description: dataset.description || `Peer5 export ${dataset.name}`,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      classification: 'csv',
      compressionType: 'gzip',
      ...LAKE_TABLE_PARAMETERS,
      // Partition projection: Athena computes the partitions from the layout instead of listing them.
      ...RAW_TABLES.projectionParameters(bucketUrl, location.prefix, dataset),
    },
    partitionKeys: RAW_TABLES.partitionKeysOf(dataset).map((key) => ({ name: key.name, type: key.type })),
    storageDescriptor: {
      location: `${bucketUrl}/${RAW_TABLES.tablePrefix(location.prefix, dataset)}`,
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      compressed: true,
      columns: columnsOf(dataset).map((column) => ({ name: column.name, type: column.type })),
      serdeInfo: { serializationLibrary: LAKE_SERDE_LIBRARY, parameters: { ...LAKE_SERDE_PARAMETERS } },
    },
  };
}

/**
 * The Glue `TableInput` of a dataset's curated table over `s3://<bucket>/<prefix>/<dataset>_curated/`:
 * Parquet, partition projection on `dt`, and the raw table's column names and types.
 */
export function curatedTableInputOf(
  dataset: DatasetDefinition,
  location: { readonly bucketName: string; readonly prefix: string },
): glue.CfnTable.TableInputProperty {
  const bucketUrl = `s3://${location.bucketName}`;
  return {
    name: CURATED_TABLES.tableNameOf(dataset),
    description: `${dataset.description || `Peer5 export ${dataset.name}`} One Parquet file per final UTC day.`,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      classification: 'parquet',
      ...CURATED_TABLES.projectionParameters(bucketUrl, location.prefix, dataset),
    },
    partitionKeys: CURATED_TABLES.partitionKeysOf(dataset).map((key) => ({ name: key.name, type: key.type })),
    storageDescriptor: {
      location: `${bucketUrl}/${CURATED_TABLES.tablePrefix(location.prefix, dataset)}`,
      inputFormat: CURATED_INPUT_FORMAT,
      outputFormat: CURATED_OUTPUT_FORMAT,
      columns: glueColumnsOf(dataset),
      serdeInfo: { serializationLibrary: CURATED_SERDE_LIBRARY },
    },
  };
}

export interface LakeCatalogProps {
  /** The bucket the lake is written to. */
  readonly bucket: s3.IBucket;
  /** Key prefix of the lake inside the bucket. */
  readonly prefix: string;
  /** One table each, and the saved queries they can answer. */
  readonly datasets: readonly DatasetDefinition[];
  /** The Glue database the tables are created in. */
  readonly databaseName: string;
  /** Where the query-results bucket writes its server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Name of the Athena workgroup.
   * @default - the stack name
   */
  readonly workGroupName?: string;
  /**
   * Gigabytes a query may scan before the workgroup cancels it.
   * @default DEFAULT_ATHENA_SCAN_CUTOFF_GB
   */
  readonly scanCutoffGb?: number;
}

/** Bytes in the gigabyte of `scanCutoffGb`: Athena's cutoff is in bytes, its price per 10^12. */
const GB = 1_000_000_000;

export class LakeCatalog extends Construct {
  public readonly database: glue.CfnDatabase;
  /** One raw table per dataset, by dataset name. */
  public readonly tables: ReadonlyMap<string, glue.CfnTable>;
  /** One curated table per dataset, by dataset name. */
  public readonly curatedTables: ReadonlyMap<string, glue.CfnTable>;
  public readonly resultsBucket: s3.Bucket;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: readonly athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const workGroupName = props.workGroupName ?? stack.stackName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: props.databaseName,
        description: 'Peer5 analytics exports written by peer5-reporter; one table per dataset.',
      },
    });

    const location = { bucketName: props.bucket.bucketName, prefix: props.prefix };
    const tablesOf = (id: string, inputOf: typeof tableInputOf) =>
      new Map(
        props.datasets.map((dataset) => {
          const table = new glue.CfnTable(this, `${id}-${dataset.name}`, {
            catalogId: stack.account,
            databaseName: props.databaseName,
            tableInput: inputOf(dataset, location),
          });
          table.node.addDependency(this.database);
          return [dataset.name, table] as const;
        }),
      );
    this.tables = tablesOf('Table', tableInputOf);
    this.curatedTables = tablesOf('CuratedTable', curatedTableInputOf);

    this.resultsBucket = new s3.Bucket(this, 'QueryResults', {
      ...SECURE_BUCKET_PROPS,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { id: 'expire-query-results', expiration: QUERY_RESULTS_EXPIRATION },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: INCOMPLETE_UPLOAD_EXPIRATION },
      ],
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description: 'Queries over the Peer5 lake; results are encrypted and expire.',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: (props.scanCutoffGb ?? DEFAULT_ATHENA_SCAN_CUTOFF_GB) * GB,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.namedQueries = savedQueries(props.databaseName, props.datasets).map((query) => {
      const named = new athena.CfnNamedQuery(this, query.id, {
        name: query.name,
        description: query.description,
        database: props.databaseName,
        queryString: query.sql,
        workGroup: this.workGroup.ref,
      });
      named.node.addDependency(this.workGroup, this.database);
      return named;
    });
  }
}
