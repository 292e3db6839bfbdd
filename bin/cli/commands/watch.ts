/**
 * `peer5-reporter watch`: the offload watch, run as the Lambda runs it, over a local or S3 lake.
 * The state lives in the lake (`_watch/`), so runs one after another alert once per incident;
 * messages go to the outbox folder (or through SES with --ses-from). Exit 4 while an incident is
 * open: this run raised its alert, or it goes on.
 */

import { OutboxWatchChannel } from '../../../lambdas/adapters/outbox-watch-channel.ts';
import { WATCH_DATASET_RULE, watchDatasetsOf } from '../../../lambdas/core/insights/watch-lake.ts';
import {
  runWatch,
  type WatchChannel,
  type WatchRunResult,
} from '../../../lambdas/core/insights/watch-run.ts';
import { type WatchSummary, watchSummaryOf } from '../../../lambdas/core/insights/watch-summary.ts';
import { watchRecipientsOf, watchSettingsOf } from '../../../lambdas/core/settings/run-options.ts';
import { connectLake } from '../connections.ts';
import {
  COMMON_FLAGS,
  EXIT,
  type FlagTable,
  LAKE_FLAGS,
  MAIL_FLAGS,
  parseFlags,
  type ResolvedOptions,
  resolveOptions,
  timeFlag,
  UsageError,
} from '../options.ts';
import { type Command, noPositionals, note, print } from './command.ts';

const WATCH_FLAGS = {
  ...COMMON_FLAGS,
  lake: LAKE_FLAGS.lake,
  outbox: MAIL_FLAGS.outbox,
  'ses-from': MAIL_FLAGS['ses-from'],
  to: MAIL_FLAGS.to,
  'time-zone': MAIL_FLAGS['time-zone'],
} satisfies FlagTable;

export interface WatchCommandRun {
  readonly result: WatchRunResult;
  readonly summary: WatchSummary;
  readonly files: readonly string[];
}

/** The watch's SES channel; the SDK is imported only for a run that sends through SES. */
async function sesWatchChannel(from: string, to: readonly string[]): Promise<WatchChannel> {
  const [{ SESClient }, { SesWatchChannel }] = await Promise.all([
    import('@aws-sdk/client-ses'),
    import('../../../lambdas/adapters/ses-watch-channel.ts'),
  ]);
  return new SesWatchChannel({ ses: new SESClient({}), from, to });
}

/** One watch run over the options' lake at `now`, its messages to the outbox or SES. */
export async function watchOnce(options: ResolvedOptions, now: number): Promise<WatchCommandRun> {
  const datasets = watchDatasetsOf(options.settings.datasets).usable;
  if (datasets.length === 0) throw new UsageError(`datasets: ${WATCH_DATASET_RULE}`);
  const lake = await connectLake(options.lake);
  const outbox = options.mail.kind === 'outbox' ? new OutboxWatchChannel(options.mail.dir) : null;
  const recipients = watchRecipientsOf(options.settings);
  const channels: WatchChannel[] = outbox
    ? [outbox]
    : recipients.length > 0
      ? [await sesWatchChannel(options.settings.sender, recipients)]
      : [];
  const result = await runWatch({
    sink: lake.sink,
    prefix: lake.prefix,
    datasets,
    store: lake.watchState,
    channels,
    now,
    settings: watchSettingsOf(options.settings),
    timeZone: options.settings.timeZone,
  });
  return { result, summary: watchSummaryOf(result), files: outbox?.written ?? [] };
}

export const watch: Command = {
  name: 'watch',
  summary: "check the last complete hour's offload against its usual level, as the offload-watch Lambda does",
  usage: 'peer5-reporter watch [--now ISO] [--lake DIR|s3://bucket/prefix] [--outbox DIR] [--json]',
  flags: WATCH_FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'watch');
    const options = resolveOptions(values, this.flags, { cwd: io.cwd });
    const now = timeFlag(values, 'now') ?? Date.now();
    const { summary, files } = await watchOnce(options, now);
    print(io, values, { ...summary, files }, () =>
      [
        summary.message,
        ...summary.alerts.map(
          (alert) =>
            `  alert ${alert.incidentId} (${alert.status})${alert.segment ? `: ${alert.segment} explains ${Math.round((alert.shareExplained ?? 0) * 100)}%` : ''}`,
        ),
        ...files.map((file) => `  wrote ${file}`),
      ].join('\n'),
    );
    if (summary.status === 'missing-data')
      note(io, 'Export the missing windows (peer5-reporter run or backfill), then run the watch again.');
    return summary.alerting ? EXIT.alerting : EXIT.ok;
  },
};
