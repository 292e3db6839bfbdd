/**
 * Reads back a CloudWatch metric's sum over a time range: the report check asks whether a report
 * was counted since it was due. The client is passed in, so tests point it at moto.
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { errorText } from '../core/error-text.ts';

export interface MetricIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** One datapoint a minute: CloudWatch keeps them 15 days, far longer than a check looks back. */
const PERIOD_SECONDS = 60;
const MINUTE_MS = PERIOD_SECONDS * 1000;

/** CloudWatch could not be asked (permissions, throttling, network). */
export class MetricReadError extends Error {
  override readonly name = 'MetricReadError';
}

/** The metric's Sum over [from, to), widened to whole minutes, which CloudWatch works in. */
export async function metricSum(
  cloudwatch: CloudWatchClient,
  metric: MetricIdentity,
  range: { readonly from: number; readonly to: number },
): Promise<number> {
  const start = Math.floor(range.from / MINUTE_MS) * MINUTE_MS;
  const end = Math.max(start + MINUTE_MS, Math.ceil(range.to / MINUTE_MS) * MINUTE_MS);
  let total = 0;
  let nextToken: string | undefined;
  do {
    let page: GetMetricDataCommandOutput;
    try {
      page = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(start),
          EndTime: new Date(end),
          MetricDataQueries: [
            {
              Id: 'metric',
              MetricStat: {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.name,
                  Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: PERIOD_SECONDS,
                Stat: 'Sum',
              },
            },
          ],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
    } catch (error: unknown) {
      const reason = errorText(error);
      throw new MetricReadError(
        `could not read the CloudWatch metric ${metric.namespace}/${metric.name}: ${reason}`,
        { cause: error },
      );
    }
    for (const result of page.MetricDataResults ?? []) {
      for (const value of result.Values ?? []) total += value;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return total;
}
