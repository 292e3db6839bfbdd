/** `peer5-reporter start`: the whole product locally, simulator, lake and report (what `npm start` runs). */
import { TIME } from '../../../lambdas/core/contract.ts';
import { reportOptionsOf } from '../../../lambdas/core/settings/run-options.ts';
import { connectLake, connectMailer } from '../connections.ts';
import { COMMON_FLAGS, EXIT, LAKE_FLAGS, MAIL_FLAGS, parseFlags } from '../options.ts';
import { exitCodeOf, isoTime, reportJson, reportLines, runJson, runLines } from '../output.ts';
import { deadlineFlag, OUTPUT_FLAGS } from '../run-control.ts';
import { type Command, noPositionals, print } from './command.ts';
import { reportWatchOf, runReportNamingFlags } from './report.ts';
import { executeWithProgress, withRuntime } from './runtime.ts';
import { planWork } from './work.ts';

/** The price per GB `npm start` shows savings at when no cdnPricePerGb is set: an example. */
export const EXAMPLE_PRICE_PER_GB = 0.02;

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
      const lake = connectLake(options.lake);
      const dayEnd = Math.floor(now / TIME.DAY) * TIME.DAY;
      const dayStart = dayEnd - TIME.DAY;
      status.note(`Exporting ${isoTime(dayStart).slice(0, 10)} (UTC) into ${lake.location} ...`);
      const { plan, datasets } = await planWork(
        { kind: 'backfill', from: dayStart, to: dayEnd, force: false },
        options,
        values,
        lake,
        now,
      );
      const result = await executeWithProgress(plan, runtime, lake, datasets);
      if (result.stopReason !== null) {
        // Stopped early (Ctrl-C, the deadline): a report now would only fail the same way.
        print(io, values, { ...runJson(result, lake), report: null }, () =>
          runLines(result, lake).join('\n'),
        );
        status.note('The report was not written: the export stopped early. Run the command again.');
        return EXIT.failed;
      }
      status.note('Writing the daily report ...');
      const { mailer, location } = connectMailer(options.mail);
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
        watch: reportWatchOf(lake, io),
        requestCount: () => runtime.api.client.stats.requests,
      });
      const preview = report.paths?.find((file) => file.endsWith('.html'));
      const eml = report.paths?.find((file) => file.endsWith('.eml'));
      print(io, values, { ...runJson(result, lake), report: reportJson(report), outbox: location }, () =>
        [
          ...runLines(result, lake),
          '',
          ...reportLines(report),
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
      return exitCodeOf(result);
    });
  },
};
