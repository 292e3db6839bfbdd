/** `peer5-reporter start`: the whole product locally, simulator, lake and report (what `npm start` runs). */
import { INTERVAL_LIMITS, TIME } from '../../../lambdas/core/contract.ts';
import { BASELINE_DAYS } from '../../../lambdas/core/insights/watch.ts';
import {
  readWatchDay,
  WATCH_DATASET_RULE,
  watchDatasetsOf,
} from '../../../lambdas/core/insights/watch-lake.ts';
import { replaySummaryOf, replayWatch } from '../../../lambdas/core/insights/watch-replay.ts';
import type { RunPlan } from '../../../lambdas/core/lake/plan.ts';
import { reportOptionsOf, watchSettingsOf } from '../../../lambdas/core/settings/run-options.ts';
import { connectLake, connectMailer } from '../connections.ts';
import { COMMON_FLAGS, EXIT, LAKE_FLAGS, MAIL_FLAGS, parseFlags } from '../options.ts';
import {
  curationJson,
  curationLines,
  exitCodeOf,
  isoTime,
  reportJson,
  reportLines,
  runJson,
  runLines,
} from '../output.ts';
import { deadlineFlag, OUTPUT_FLAGS } from '../run-control.ts';
import { type Command, noPositionals, print } from './command.ts';
import { reportWatchOf, runReportNamingFlags } from './report.ts';
import { curateAfterCommand, executeWithProgress, withRuntime } from './runtime.ts';
import { planWork } from './work.ts';

/** The price per GB `npm start` shows savings at when no cdnPricePerGb is set: an example. */
export const EXAMPLE_PRICE_PER_GB = 0.02;

/** One plan of two made at the same moment over one lake: the first's windows go first. */
function joinPlans(first: RunPlan, second: RunPlan): RunPlan {
  return {
    ...second,
    fetches: [...first.fetches, ...second.fetches],
    gaps: [...first.gaps, ...second.gaps],
    windows: first.windows + second.windows,
    requests: first.requests + second.requests,
  };
}

export const start: Command = {
  name: 'start',
  summary: 'run the whole product locally: simulator, lake, report (what `npm start` runs)',
  usage:
    'peer5-reporter start [--now ISO] [--lake DIR] [--outbox DIR] [--time-zone ZONE] [--deadline 5m] [--json]',
  flags: {
    ...COMMON_FLAGS,
    lake: LAKE_FLAGS.lake,
    outbox: MAIL_FLAGS.outbox,
    'time-zone': MAIL_FLAGS['time-zone'],
    deadline: deadlineFlag('start'),
    ...OUTPUT_FLAGS,
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'start');
    const extra = { command: 'start', embedded: true, target: 'lake' } as const;
    return await withRuntime(values, this.flags, io, extra, async (runtime) => {
      const { options, now, status } = runtime;
      const lake = await connectLake(options.lake);
      const dayEnd = Math.floor(now / TIME.DAY) * TIME.DAY;
      const dayStart = dayEnd - TIME.DAY;
      status.note(`Exporting ${isoTime(dayStart).slice(0, 10)} (UTC) into ${lake.location} ...`);
      const { plan: dayPlan, datasets } = await planWork(
        { kind: 'backfill', from: dayStart, to: dayEnd, force: false },
        options,
        values,
        lake,
        now,
      );
      // The watch judges each hour against the same hour of the 7 days before: those days of its
      // hourly datasets too, so that the replay below has its baseline. Only those whose interval
      // the API still serves that far back (1-minute totals reach back 7 days, less than the
      // replay's 8), and not one whose dimensions another has too (by_country_1h beside
      // by_country_isp_1h): a pair is also blamed by each of its dimensions alone, and any
      // breakdown gives the hour's totals, so the verdict is the same for fewer windows to write.
      const baselineFrom = dayStart - BASELINE_DAYS * TIME.DAY;
      const reaching = watchDatasetsOf(datasets).usable.filter((dataset) => {
        const { lookBackMs } = INTERVAL_LIMITS[dataset.interval];
        return lookBackMs === null || now - lookBackMs <= baselineFrom;
      });
      const watched = reaching.filter(
        (dataset) =>
          !reaching.some(
            (other) =>
              other !== dataset &&
              other.dimensions.length > dataset.dimensions.length &&
              dataset.dimensions.every((dimension) => other.dimensions.includes(dimension)),
          ),
      );
      const history =
        watched.length === 0
          ? null
          : await planWork(
              { kind: 'backfill', from: baselineFrom, to: dayStart, force: false },
              { ...options, settings: { ...options.settings, datasets: [...watched] } },
              values,
              lake,
              now,
            );
      const plan = history === null ? dayPlan : joinPlans(history.plan, dayPlan);
      const result = await executeWithProgress(plan, runtime, lake, datasets);
      if (result.stopReason !== null) {
        // Stopped early (Ctrl-C, the deadline): a report now would only fail the same way.
        print(io, values, { ...runJson(result, lake), report: null }, () =>
          runLines(result, lake).join('\n'),
        );
        status.note('The report was not written: the export stopped early. Run the command again.');
        return EXIT.failed;
      }
      const replay =
        watched.length === 0
          ? null
          : replayWatch(
              await readWatchDay({
                sink: lake.sink,
                prefix: lake.prefix,
                datasets: watched,
                from: dayStart,
                to: dayEnd,
              }),
              watchSettingsOf(options.settings),
              options.settings.timeZone,
            );
      const curation = await curateAfterCommand(runtime, lake, datasets, values);
      status.note('Writing the daily report ...');
      const { mailer, location } = await connectMailer(options.mail);
      const settings = reportOptionsOf(options.settings);
      // Without a price of its own, the demo shows what savings look like at an example price.
      const example = settings.price === undefined;
      const report = await runReportNamingFlags({
        source: runtime.api.client,
        mailer,
        now,
        ...settings,
        ...(example
          ? { price: [{ upToGb: null, pricePerGb: EXAMPLE_PRICE_PER_GB }], examplePrice: true }
          : {}),
        lake: { sink: lake.sink, prefix: lake.prefix, datasets },
        watch: replay === null ? reportWatchOf(lake, io) : reportWatchOf(lake, io, replay.state),
        requestCount: () => runtime.api.client.stats.requests,
      });
      const preview = report.paths?.find((file) => file.endsWith('.html'));
      const eml = report.paths?.find((file) => file.endsWith('.eml'));
      const watchJson = replay === null ? null : replaySummaryOf(replay);
      const json = { ...runJson(result, lake), curated: curationJson(curation) };
      print(io, values, { ...json, report: reportJson(report), watch: watchJson, outbox: location }, () =>
        [
          ...runLines(result, lake),
          ...curationLines(curation),
          '',
          ...reportLines(report),
          '',
          watchJson?.message ?? `Offload watch: not run (${WATCH_DATASET_RULE})`,
          '',
          'Open:',
          `  report preview  ${preview ?? '(none)'}`,
          `  email (.eml)    ${eml ?? '(none)'}`,
          `  lake            ${lake.location}`,
          '',
          'Next: npx peer5-reporter query "SELECT country_code, sum(p2p) * 1.0 / sum(http + p2p) AS offload',
          '      FROM by_country_1h GROUP BY 1 ORDER BY sum(http + p2p) DESC LIMIT 5"',
        ].join('\n'),
      );
      return exitCodeOf(result, curation);
    });
  },
};
