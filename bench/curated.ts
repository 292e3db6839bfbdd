/**
 * Throughput and peak memory of the curated Parquet writer for a day of the largest dataset (the
 * lake bench's 1-minute city x page export, ~1.17M rows), beside its floor in the same run: reading
 * the same windows back without curating them. `npx tsx bench/curated.ts` (add `--quick` for six
 * hours). The day's windows are first written by the real pipeline from the simulator, then each
 * case runs in its own Node process, so its peak RSS (the OS's counter) is its own.
 */
import { closeSync, createReadStream, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { CuratedDay, curatedParquetChunks } from '../lambdas/core/curated/index.ts';
import { tablePrefix } from '../lambdas/core/lake/layout.ts';
import { readLakeCsv } from '../lambdas/core/lake/read.ts';
import { startSimulator } from '../simulator/index.ts';
import { runScriptForJson } from './process.ts';
import { BENCH_DATASET, type CaseResult, type CaseSettings } from './settings.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const CASE_SCRIPT = fileURLToPath(new URL('./case.ts', import.meta.url));
const DAY_START = Date.UTC(2024, 2, 4);
const NOW = DAY_START + 2 * TIME.DAY;

interface CurateResult {
  readonly rows: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly outputBytes: number;
  readonly maxRssMb: number;
}

/** Peak resident set size from the OS: VmHWM where /proc has it, else getrusage's maxRSS. */
function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: fall through to getrusage.
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Child: read every window of the day, and (unless `readOnly`) curate it into a Parquet file. */
async function child(root: string, readOnly: boolean): Promise<CurateResult> {
  const sink = new LocalLakeSink({ root });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const day = new CuratedDay(BENCH_DATASET, DAY_START);
  let rows = 0;
  for await (const key of sink.list(tablePrefix('', BENCH_DATASET))) {
    const records = readLakeCsv(createReadStream(join(root, key)));
    if (readOnly) {
      let header = true;
      for await (const _record of records) {
        if (!header) rows += 1;
        header = false;
      }
    } else rows += await day.addWindow(records, key);
  }
  let outputBytes = 0;
  if (!readOnly) {
    // Streamed to a file chunk by chunk, as an upload would take them: never the whole file at once.
    const file = openSync(join(root, 'day.parquet'), 'w');
    for (const chunk of curatedParquetChunks(day)) {
      writeSync(file, chunk);
      outputBytes += chunk.length;
    }
    closeSync(file);
  }
  const used = process.cpuUsage(cpu);
  return {
    rows,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    outputBytes,
    maxRssMb: peakRssMb(),
  };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const hours = quick ? 6 : 24;
  const work = await mkdtemp(join(tmpdir(), 'peer5-curated-bench-'));
  const sim = await startSimulator({ now: NOW, segments: 2000, seed: 1 });
  try {
    process.stderr.write(`writing ${hours} h of ${BENCH_DATASET.name} into a local lake... `);
    const lake: CaseSettings = {
      kind: 'pipeline',
      baseUrl: sim.url,
      now: NOW,
      from: DAY_START,
      to: DAY_START + hours * TIME.HOUR,
      root: work,
      csvFile: join(work, 'unused.csv'),
      rows: 0,
    };
    const written = await runScriptForJson<CaseResult>(CASE_SCRIPT, [JSON.stringify(lake)]);
    process.stderr.write('reading it back... ');
    const floor = await runScriptForJson<CurateResult>(SCRIPT, ['--child', work, '--read-only']);
    process.stderr.write('curating it...\n');
    const curated = await runScriptForJson<CurateResult>(SCRIPT, ['--child', work]);
    const parquetBytes = (await stat(join(work, 'day.parquet'))).size;
    const line = (name: string, r: CurateResult) =>
      [
        name.padEnd(44),
        r.rows.toLocaleString('en-US').padStart(10),
        r.seconds.toFixed(2).padStart(8),
        r.cpuSeconds.toFixed(2).padStart(6),
        Math.round(r.rows / r.seconds)
          .toLocaleString('en-US')
          .padStart(9),
        r.maxRssMb.toFixed(0).padStart(12),
      ].join('  ');
    console.log(
      `curated writer bench: ${hours} h of ${BENCH_DATASET.name} (2000 segments), Node ${process.version}\n`,
    );
    console.log(
      `${'case'.padEnd(44)}  ${'rows'.padStart(10)}  ${'seconds'.padStart(8)}  ${'CPU s'.padStart(6)}  ${'rows/s'.padStart(9)}  ${'peak RSS MB'.padStart(12)}`,
    );
    console.log(line('floor: read the gzip CSV windows back', floor));
    console.log(line('curate: read, sort, write SNAPPY Parquet', curated));
    console.log(
      [
        '',
        `curate ÷ floor, wall time:  ${(curated.seconds / floor.seconds).toFixed(2)}`,
        `curate ÷ floor, CPU time:   ${(curated.cpuSeconds / floor.cpuSeconds).toFixed(2)}`,
        `curate − floor, peak RSS:   ${(curated.maxRssMb - floor.maxRssMb).toFixed(0)} MB`,
        `Parquet ÷ gzip CSV bytes:   ${(parquetBytes / written.outputBytes).toFixed(2)} (${(parquetBytes / 1e6).toFixed(1)} MB ÷ ${(written.outputBytes / 1e6).toFixed(1)} MB)`,
        '',
        'Peak RSS is /proc/self/status VmHWM of each case process and includes ~70 MB of Node and tsx.',
      ].join('\n'),
    );
  } finally {
    await sim.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const result = await child(process.argv[3] ?? '', process.argv.includes('--read-only'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}
