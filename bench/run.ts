/**
 * The figures of the pipeline, each beside what it is measured against in the same run:
 * `npm run bench` (a 1-hour, a 1-day and a 3.5-day export of the 1-minute city x page dataset, the
 * last two about 1.2M and 4.1M rows) or `npm run bench -- --quick` (1 and 6 hours). Each case runs in
 * its own Node process so its peak RSS (the kernel's VmHWM) is its own; the simulator serves all
 * of them from this process. Then the Lambda bundles as `cdk synth` writes them, the CLI's start-up,
 * the daily report's API requests, and the pacing of a backfill (backfill.ts) and of a catch-up
 * after 13 days without runs, with its S3 ÷ local figure (catch-up.ts), and the bundled Backfill
 * handler's peak RSS at the same sizes (handler-rss.ts). Every figure is printed as
 * a ratio to its reference. Then
 * the curated tables' two scripts: curated-month.ts (objects and bytes a month's query reads,
 * curated ÷ raw) and curated.ts (the writer's throughput and memory).
 *
 * MB/s is uncompressed CSV (the lake's bytes before gzip) per second, for every case alike.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { OutboxMailer } from '../lambdas/adapters/outbox-mailer.ts';
import { ExportClient } from '../lambdas/adapters/peer5-api/index.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { tablePrefix } from '../lambdas/core/lake/layout.ts';
import { minimumReportRequests } from '../lambdas/core/report/request-floor.ts';
import { runReport } from '../lambdas/core/report/run.ts';
import { scopeReport } from '../lambdas/core/report/scope.ts';
import { startSimulator } from '../simulator/index.ts';
import { benchBackfill } from './backfill.ts';
import { measureBundles } from './bundles.ts';
import { benchCatchUp } from './catch-up.ts';
import {
  type CliCpu,
  cpuAccounting,
  figures,
  format,
  GOAL,
  mb,
  type Row,
  type SizeFigures,
} from './figures.ts';
import { benchHandlerRss } from './handler-rss.ts';
import { measureNode, medianBy, medianOf, runScriptForJson } from './process.ts';
import {
  BENCH_DATASET,
  BENCH_DATASET_SETTING,
  BENCH_LAKE_PREFIX,
  BENCH_TOKEN,
  type CaseResult,
  type CaseSettings,
} from './settings.ts';

const CASE_SCRIPT = fileURLToPath(new URL('./case.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/peer5-reporter.js', import.meta.url));
const quick = process.argv.includes('--quick');
const segmentsArg = process.argv.find((arg) => arg.startsWith('--segments='));
const SEGMENTS = segmentsArg ? Number(segmentsArg.slice('--segments='.length)) : 2000;
/**
 * Rounds of the export cases, run in turns (each case once a round), so that every case sees the
 * machine's busy and quiet moments alike: a single run of a day moved a figure by up to 0.15.
 */
const ROUNDS = quick ? 1 : 3;

/** Of one case's rounds, the round of median wall time, with the highest peak RSS of any round. */
function medianRound<T extends CaseResult>(rounds: readonly T[]): T {
  const median = medianBy(rounds, (round) => round.seconds);
  return { ...median, maxRssMb: Math.max(...rounds.map((round) => round.maxRssMb)) };
}

const DAY_START = Date.UTC(2024, 2, 4);
// Long after the last range, so every bucket is final and every window settled, and within the
// 1-minute interval's look-back of 7 days.
const NOW = DAY_START + 4 * TIME.DAY;

function runCase(settings: CaseSettings): Promise<CaseResult> {
  return runScriptForJson<CaseResult>(CASE_SCRIPT, [JSON.stringify(settings)]);
}

/** The CLI's backfill of the range, compiled as users run it, against the bench's simulator. */
async function cliCase(settings: CaseSettings, work: string): Promise<CaseResult & { readonly cpu: CliCpu }> {
  const config = join(work, `cli-${settings.to}.json`);
  await writeFile(config, JSON.stringify({ datasets: [BENCH_DATASET_SETTING] }));
  const iso = (ms: number) => new Date(ms).toISOString();
  const simulatorBefore = process.cpuUsage();
  const measured = await measureNode(
    [
      CLI,
      'backfill',
      '--config',
      config,
      '--api-url',
      settings.baseUrl,
      '--lake',
      settings.root,
      '--from',
      iso(settings.from),
      '--to',
      iso(settings.to),
      '--now',
      iso(settings.now),
      '--force',
      // The same work as the other cases: the day's Parquet file is curated.ts's to measure.
      '--no-curate',
      '--max-requests-per-minute',
      '100000',
      '--json',
    ],
    { env: { PEER5_TOKEN: BENCH_TOKEN, PEER5_REPORTER_CLI: 'compiled', NO_COLOR: '1' } },
  );
  const simulator = process.cpuUsage(simulatorBefore);
  const result = JSON.parse(measured.stdout) as { rows?: number; bytes?: number };
  return {
    rows: result.rows ?? settings.rows,
    seconds: measured.seconds,
    outputBytes: result.bytes ?? 0,
    maxRssMb: measured.peakRssMb,
    cpu: {
      process: measured.cpuSeconds,
      mainThread: measured.mainThreadCpuSeconds,
      simulator: (simulator.user + simulator.system) / 1e6,
    },
  };
}

/**
 * Concatenates the bench table's objects, gunzipped, into one CSV file: the bytes the pipeline
 * wrote. Only the table's own folder: the run also marks the days to curate, beside the tables.
 */
async function lakeAsCsv(root: string, file: string): Promise<number> {
  const sink = new LocalLakeSink({ root });
  const out = createWriteStream(file);
  for await (const key of sink.list(tablePrefix(BENCH_LAKE_PREFIX, BENCH_DATASET))) {
    const body = await sink.get(key);
    if (!body) continue;
    for await (const chunk of body.pipe(createGunzip())) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await finished(out);
  return (await stat(file)).size;
}

/** `peer5-reporter --help`, compiled, against `node -e 0`: each the median of three. */
async function helpFigures(): Promise<string[]> {
  const env = { PEER5_REPORTER_CLI: 'compiled' };
  const help = await medianOf(3, () => measureNode([CLI, '--help'], { env }));
  const node = await medianOf(3, () => measureNode(['-e', '0']));
  const seconds = `${help.seconds.toFixed(2)} s (node -e 0: ${node.seconds.toFixed(2)} s)`;
  const memory = `${mb(help.peakRssMb)} (node -e 0: ${mb(node.peakRssMb)})`;
  return [
    `CLI --help time\t< ${GOAL.helpSeconds} s\t${seconds}\t${help.seconds < GOAL.helpSeconds ? 'yes' : 'NO'}`,
    `CLI --help peak RSS\t< ${GOAL.helpMb} MB\t${memory}\t${help.peakRssMb < GOAL.helpMb ? 'yes' : 'NO'}`,
  ];
}

async function main(): Promise<void> {
  const sizes = quick
    ? [
        { size: 'small (1 h)', hours: 1 },
        { size: '6 h', hours: 6 },
      ]
    : [
        { size: 'small (1 h)', hours: 1 },
        { size: '1 day', hours: 24 },
        { size: '3.5 days', hours: 84 },
      ];
  const work = await mkdtemp(join(tmpdir(), 'peer5-bench-'));
  const sim = await startSimulator({ now: NOW, segments: SEGMENTS, seed: 1 });
  const rows: Row[] = [];
  const measured: SizeFigures[] = [];
  try {
    console.log(
      `peer5-reporter bench: 1m buckets by city and page, ${SEGMENTS} segments, Node ${process.version}${quick ? ' (quick)' : ''}\n`,
    );
    for (const { size, hours } of sizes) {
      const common = {
        baseUrl: sim.url,
        now: NOW,
        from: DAY_START,
        to: DAY_START + hours * TIME.HOUR,
        rows: 0,
      };
      const lakeRoot = join(work, `lake-${hours}`);
      const csvFile = join(work, `lake-${hours}.csv`);
      const rounds: Omit<SizeFigures, 'size'>[] = [];
      let csvBytes = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        process.stderr.write(`${size}${ROUNDS > 1 ? `, round ${round} of ${ROUNDS}` : ''}: pipeline... `);
        const pipeline = await runCase({ ...common, kind: 'pipeline', root: lakeRoot, csvFile });
        // The lake's CSV, the gzip floor's input, is the same bytes each round.
        if (round === 1) csvBytes = await lakeAsCsv(lakeRoot, csvFile);
        process.stderr.write('gzip floor... ');
        const gzip = await runCase({ ...common, kind: 'gzip', root: lakeRoot, csvFile, rows: pipeline.rows });
        await rm(lakeRoot, { recursive: true, force: true });
        process.stderr.write('API only... ');
        const api = await runCase({ ...common, kind: 'api', root: lakeRoot, csvFile, rows: pipeline.rows });
        process.stderr.write('naive... ');
        const naive = await runCase({
          ...common,
          kind: 'naive',
          root: join(work, `naive-${hours}`),
          csvFile,
        });
        await rm(join(work, `naive-${hours}`), { recursive: true, force: true });
        process.stderr.write('CLI...\n');
        const cli = await cliCase(
          { ...common, kind: 'pipeline', root: join(work, `cli-${hours}`), csvFile, rows: pipeline.rows },
          work,
        );
        await rm(join(work, `cli-${hours}`), { recursive: true, force: true });
        rounds.push({ pipeline, gzip, naive, api, cli });
      }
      await rm(csvFile, { force: true });
      const pipeline = medianRound(rounds.map((round) => round.pipeline));
      const gzip = medianRound(rounds.map((round) => round.gzip));
      const api = medianRound(rounds.map((round) => round.api));
      const naive = medianRound(rounds.map((round) => round.naive));
      const cli = medianRound(rounds.map((round) => round.cli));
      measured.push({ size, pipeline, gzip, naive, api, cli });
      rows.push(
        { size, name: 'pipeline: HTTP -> client -> CSV -> gzip -> local lake', result: pipeline, csvBytes },
        { size, name: 'CLI backfill (compiled), the same pipeline', result: cli, csvBytes },
        { size, name: 'floor: gzip alone over the same CSV bytes', result: gzip, csvBytes },
        { size, name: 'API only: the same requests, bodies dropped (MB: the bodies)', result: api, csvBytes },
        { size, name: 'naive peer: CSV bodies joined, gzip per window', result: naive, csvBytes },
      );
    }
    console.log(format(rows));
    process.stderr.write('bundles (cdk synth)... ');
    const bundles = await measureBundles();
    process.stderr.write('CLI --help...\n');
    const help = await helpFigures();
    console.log(`\n${figures(measured, bundles, help)}`);
    console.log(cpuAccounting(measured));
    console.log(
      [
        '',
        "Peak RSS is the kernel's VmHWM of each process. The pipeline case runs under tsx (its own",
        'TypeScript loader adds ~50 MB); the CLI case is the compiled CLI, as users run it.',
      ].join('\n'),
    );
    await benchReportRequests(sim.url, join(work, 'outbox'));
    console.log(await benchBackfill());
    console.log(await benchCatchUp());
    // The sizes past the small one, as in the table above.
    console.log(await benchHandlerRss(sizes.slice(1), SEGMENTS));
  } finally {
    await sim.close();
    await rm(work, { recursive: true, force: true });
  }
  // The curated tables: what they save a month's query, and the writer's speed and memory.
  for (const script of ['./curated-month.ts', './curated.ts']) {
    await runScript(fileURLToPath(new URL(script, import.meta.url)), quick ? ['--quick'] : []);
  }
}

/** Runs another bench script in its own process, its output shown as it comes. */
function runScript(script: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} exited with code ${code}`)),
    );
  });
}

/** The daily report's API requests, beside the fewest the contract allows for the same figures. */
async function benchReportRequests(baseUrl: string, outbox: string): Promise<void> {
  const client = new ExportClient({ baseUrl, token: async () => BENCH_TOKEN, now: () => NOW });
  const date = new Date(NOW - TIME.DAY).toISOString().slice(0, 10);
  const result = await runReport({
    source: client,
    mailer: new OutboxMailer({ dir: outbox }),
    now: NOW,
    date,
    from: 'bench@example.com',
    to: ['bench@example.com'],
    requestCount: () => client.stats.requests,
  });
  const floor = minimumReportRequests(scopeReport({ date, timeZone: 'UTC', now: NOW }), NOW);
  console.log(
    [
      '',
      `Daily report on ${date} (UTC): ${result.apiRequests} API requests; the contract allows ${floor} at the fewest for the same figures.`,
      'The difference is the totals query: its figures could be summed from an hourly dimensioned query, at',
      'the price of every segment-hour as a row. See docs/report.md, "How many API requests".',
    ].join('\n'),
  );
}

await main();
