/** The bench's figures as tables: each case's measurements, and every goal beside its figure. */
import { availableParallelism } from 'node:os';
import { type BundleFigure, S3_CLIENT_ALONE, S3_CLIENT_EXTERNAL } from './bundles.ts';
import type { CaseResult } from './settings.ts';

/** The goals the figures are measured against. */
export const GOAL = {
  floorRatio: 0.8,
  peakRssMb: 150,
  naiveTimeRatio: 0.7,
  naiveMemoryRatio: 0.2,
  bundleBytes: 1_000_000,
  importRatio: 2,
  helpSeconds: 0.3,
  helpMb: 60,
};

/** Where the CLI case's CPU went, in seconds, the simulator's included: they share the machine. */
export interface CliCpu {
  readonly process: number;
  readonly mainThread: number;
  /** This process's CPU time during the CLI case: the simulator serving it, nearly all of it. */
  readonly simulator: number;
}

export interface Row {
  readonly size: string;
  readonly name: string;
  readonly result: CaseResult;
  readonly csvBytes: number;
}

export function format(rows: readonly Row[]): string {
  const header = ['export', 'case', 'rows', 'seconds', 'rows/s', 'CSV MB/s', 'gzip MB', 'peak RSS MB'];
  const body = rows.map(({ size, name, result, csvBytes }) => [
    size,
    name,
    result.rows.toLocaleString('en-US'),
    result.seconds.toFixed(2),
    Math.round(result.rows / result.seconds).toLocaleString('en-US'),
    (csvBytes / 1e6 / result.seconds).toFixed(1),
    (result.outputBytes / 1e6).toFixed(1),
    result.maxRssMb.toFixed(0),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => (cells[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export interface SizeFigures {
  readonly size: string;
  readonly pipeline: CaseResult;
  readonly gzip: CaseResult;
  readonly naive: CaseResult;
  readonly api: CaseResult;
  readonly cli: CaseResult & { readonly cpu: CliCpu };
}

export const ratio = (value: number) => value.toFixed(2);
export const mb = (value: number) => `${value.toFixed(0)} MB`;

/** Every figure of the goals, as a ratio to its reference where it has one. */
export function figures(
  sizes: readonly SizeFigures[],
  bundles: readonly BundleFigure[],
  help: string[],
): string {
  const lines: string[][] = [['figure', 'goal', 'measured', 'met']];
  const add = (figure: string, goal: string, measured: string, met: boolean) =>
    lines.push([figure, goal, measured, met ? 'yes' : 'NO']);
  for (const { size, pipeline, gzip, naive, api, cli } of sizes.slice(1)) {
    const floor = gzip.seconds / pipeline.seconds;
    add(
      `${size}: export->lake throughput / gzip of the same CSV`,
      `>= ${GOAL.floorRatio}`,
      ratio(floor),
      floor >= GOAL.floorRatio,
    );
    add(
      `${size}: CLI peak RSS (local lake)`,
      `<= ${GOAL.peakRssMb} MB`,
      mb(cli.maxRssMb),
      cli.maxRssMb <= GOAL.peakRssMb,
    );
    const naiveTime = cli.seconds / naive.seconds;
    add(
      `${size}: CLI time / naive peer's`,
      `<= ${GOAL.naiveTimeRatio}`,
      ratio(naiveTime),
      naiveTime <= GOAL.naiveTimeRatio,
    );
    const naiveMemory = cli.maxRssMb / naive.maxRssMb;
    add(
      `${size}: CLI peak RSS / naive peer's`,
      `<= ${GOAL.naiveMemoryRatio}`,
      `${ratio(naiveMemory)} (${mb(naive.maxRssMb)})`,
      naiveMemory <= GOAL.naiveMemoryRatio,
    );
    add(
      `${size}: API only (fetch and drop) / export->lake time`,
      'near 1 if API-bound',
      ratio(api.seconds / pipeline.seconds),
      true,
    );
  }
  for (const bundle of bundles) {
    const importRatio = bundle.importSeconds / bundle.baselineSeconds;
    const measured = `${ratio(importRatio)} (${mb(bundle.importPeakRssMb)})`;
    if (bundle.id === S3_CLIENT_ALONE) {
      add('the S3 client alone: import time / node -e 0', 'least a lake function pays', measured, true);
      continue;
    }
    if (bundle.id === S3_CLIENT_EXTERNAL) {
      add('the S3 client alone, SDK from node_modules', 'vs bundled: keep bundled?', measured, true);
      continue;
    }
    add(
      `bundle ${bundle.id}`,
      '<= 1 MB',
      `${(bundle.bytes / 1e6).toFixed(2)} MB`,
      bundle.bytes <= GOAL.bundleBytes,
    );
    add(
      `bundle ${bundle.id}: import time / node -e 0`,
      `<= ${GOAL.importRatio}`,
      measured,
      importRatio <= GOAL.importRatio,
    );
  }
  for (const line of help) lines.push(line.split('\t'));
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((cells) => (cells[i] ?? '').length)));
  return lines.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

/**
 * What the CLI case's CPU time allows on this machine: the simulator, the CLI's main thread and
 * its other threads (gzip's thread pool, the garbage collector) share its cores, so the case
 * cannot end sooner than its main thread's CPU time, nor than all of it spread evenly over the
 * cores. Against that floor, the best the two time ratios could be with this much work.
 */
export function cpuAccounting(sizes: readonly SizeFigures[]): string {
  const cores = availableParallelism();
  const lines = [
    '',
    `Where the CLI case's time goes (CPU seconds; the simulator serves it on the same ${cores} cores):`,
  ];
  for (const { size, gzip, naive, cli } of sizes.slice(1)) {
    const { process: all, mainThread, simulator } = cli.cpu;
    const total = all + simulator;
    const floor = Math.max(mainThread, total / cores);
    lines.push(
      `  ${size}: wall ${cli.seconds.toFixed(2)} s; CPU ${total.toFixed(2)} s: CLI main thread ${mainThread.toFixed(2)}, CLI other threads ${(all - mainThread).toFixed(2)}, simulator ${simulator.toFixed(2)}`,
      `    floor on ${cores} cores, max(main thread, CPU ÷ ${cores}): ${floor.toFixed(2)} s (wall ÷ floor ${ratio(cli.seconds / floor)})`,
      `    at that floor: throughput ÷ gzip ${ratio(gzip.seconds / floor)} (goal >= ${GOAL.floorRatio}), CLI time ÷ naive peer's ${ratio(floor / naive.seconds)} (goal <= ${GOAL.naiveTimeRatio})`,
    );
  }
  return lines.join('\n');
}
