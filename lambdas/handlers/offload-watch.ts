/**
 * Scheduled a few minutes after each hourly export (WATCH_DELAY_MINUTES): checks the hour that
 * export wrote against the same hour of the previous 7 days, from the lake alone (no API
 * request), and sends one alert per incident, and one recovered message, to the insights topic
 * and by email. By hand, `{"scheduledTime": "<ISO>"}` checks the hour before that time less the
 * delay again; a run of an hour already checked sends nothing.
 *
 * Failures fail the invocation (Errors alarm on the ops topic): a missing window does not, since
 * the check says so and guesses nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3LakeSink } from '../adapters/s3-lake-sink.ts';
import { S3WatchState } from '../adapters/s3-watch-state.ts';
import { SesWatchChannel } from '../adapters/ses-watch-channel.ts';
import { SnsWatchChannel } from '../adapters/sns-watch-channel.ts';
import { TIME } from '../core/contract.ts';
import { WATCH_DATASET_RULE, watchDatasetsOf } from '../core/insights/watch-lake.ts';
import { runWatch, type WatchChannel } from '../core/insights/watch-run.ts';
import { watchSummaryOf } from '../core/insights/watch-summary.ts';
import { watchStateKey } from '../core/lake/keys.ts';
import { SettingsError } from '../core/settings/errors.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import { watchSettingsOf } from '../core/settings/run-options.ts';
import { WATCH_DELAY_MINUTES, WATCH_SETTINGS, WATCH_TOPIC_VARIABLE } from './environment.ts';
import { parseWatchEvent } from './events.ts';
import { logger, metrics, observedHandler } from './middleware.ts';
import { METRIC } from './telemetry.ts';
import { readWiredVariable } from './wired-environment.ts';

const config = readLambdaEnvironment(process.env, WATCH_SETTINGS);
const topicArn = readWiredVariable(process.env, WATCH_TOPIC_VARIABLE);
const datasets = watchDatasetsOf(config.datasets).usable;
if (datasets.length === 0) {
  throw new SettingsError([{ setting: 'datasets', message: WATCH_DATASET_RULE }]);
}
const s3 = new S3Client({});
const sink = new S3LakeSink({ s3, bucket: config.bucketName });
const store = new S3WatchState({ s3, bucket: config.bucketName, key: watchStateKey(config.prefix) });
const channels: WatchChannel[] = [new SnsWatchChannel({ sns: new SNSClient({}), topicArn })];
if (config.watchRecipients.length > 0) {
  channels.push(
    new SesWatchChannel({ ses: new SESClient({}), from: config.sender, to: config.watchRecipients }),
  );
}

export const handler = observedHandler(async (event: unknown) => {
  const { runTime } = parseWatchEvent(event, Date.now());
  const result = await runWatch({
    sink,
    prefix: config.prefix,
    datasets,
    store,
    channels,
    // The hour judged is the last complete one when the export this run follows was due.
    now: runTime - WATCH_DELAY_MINUTES * TIME.MINUTE,
    settings: watchSettingsOf(config),
    timeZone: config.timeZone,
  });
  const summary = watchSummaryOf(result);
  const alerts = result.events.filter((sent) => sent.kind === 'alert').length;
  metrics.addMetric(METRIC.offloadAlerts, MetricUnit.Count, alerts);
  metrics.addMetric(
    METRIC.watchMissingData,
    MetricUnit.Count,
    result.check.status === 'missing-data' ? 1 : 0,
  );
  if (result.check.status === 'steady' || result.check.status === 'drop') {
    metrics.addMetric(METRIC.offloadIncidentOpen, MetricUnit.Count, result.alerting ? 1 : 0);
  }
  if (result.check.status === 'missing-data') {
    logger.warn(summary.message, { event: 'watch-missing-data', ...summary });
  } else if (result.events.length > 0) {
    logger.info(summary.message, { event: `watch-${result.events[0]?.kind}`, ...summary });
  } else {
    logger.info(summary.message, { event: 'watch-checked', ...summary });
  }
  return summary;
});
