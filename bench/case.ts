/**
 * One bench case, run in its own process so its peak RSS is its own. Reads its settings as JSON
 * from argv, prints one JSON line with the result.
 *
 *   pipeline: simulator over HTTP -> ExportClient -> lake CSV -> gzip -> local sink (runBackfill)
 *   gzip:     gzip alone over the same CSV bytes, read from a file (the floor)
 *   naive:    the same CSV bodies over one kept-alive connection, joined whole, cut into the same
 *             per-window objects, each gzipped at once
 *   api:      the same requests over one kept-alive connection, bodies read and dropped (the API
 *             side's own cost: simulator and HTTP)
 */
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { ExportClient } from '../lambdas/adapters/peer5-api/index.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { exportRequestFor } from '../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../lambdas/core/lake/csv.ts';
import { runBackfill } from '../lambdas/core/lake/run.ts';
import { splitQuery } from '../lambdas/core/query-split.ts';
import { ownPeakRssMb } from './process.ts';
import {
  BENCH_DATASET,
  BENCH_LAKE_PREFIX,
  BENCH_TOKEN,
  type CaseResult,
  type CaseSettings,
} from './settings.ts';

async function pipelineCase(settings: CaseSettings): Promise<Omit<CaseResult, 'maxRssMb'>> {
  const client = new ExportClient({
    baseUrl: settings.baseUrl,
    token: async () => BENCH_TOKEN,
    now: () => settings.now,
  });
  const sink = new LocalLakeSink({ root: settings.root });
  const started = performance.now();
  const result = await runBackfill({
    source: client,
    sink,
    prefix: BENCH_LAKE_PREFIX,
    datasets: [BENCH_DATASET],
    from: settings.from,
    to: settings.to,
    now: settings.now,
    force: true,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) throw new Error(`bench windows failed: ${JSON.stringify(result.failed)}`);
  return { rows: result.rows, seconds, outputBytes: result.bytes };
}

async function gzipCase(settings: CaseSettings): Promise<Omit<CaseResult, 'maxRssMb'>> {
  let outputBytes = 0;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      outputBytes += chunk.length;
      callback();
    },
  });
  const started = performance.now();
  await pipeline(createReadStream(settings.csvFile), createGzip({ level: 6 }), counter);
  return { rows: settings.rows, seconds: (performance.now() - started) / 1000, outputBytes };
}

/** One connection, kept alive from request to request, as a real client would keep it. */
const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });

/** POSTs one export request for CSV; hands each piece of the body to `onChunk`. */
function postCsv(url: string, payload: unknown, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent: keptAlive,
        headers: {
          'Content-Type': 'application/json',
          'X-Auth-Token': BENCH_TOKEN,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.on('data', onChunk);
        response.once('error', reject);
        response.once('end', () => {
          if (response.statusCode !== 200) reject(new Error(`the export answered ${response.statusCode}`));
          else resolve();
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

/** The API requests the pipeline sends for the range: one query, split as the contract requires. */
function requestsOf(settings: CaseSettings) {
  return splitQuery(exportRequestFor(BENCH_DATASET, settings.from, settings.to), { now: settings.now });
}

/** API-only: the same requests over one kept-alive connection, each body read and dropped. */
async function apiCase(settings: CaseSettings): Promise<Omit<CaseResult, 'maxRssMb'>> {
  const started = performance.now();
  let bytes = 0;
  for (const request of requestsOf(settings)) {
    await postCsv(`${settings.baseUrl}/export?format=csv`, request, (chunk) => {
      bytes += chunk.length;
    });
  }
  return { rows: settings.rows, seconds: (performance.now() - started) / 1000, outputBytes: bytes };
}

/**
 * The naive peer: every CSV body fetched whole over one kept-alive connection and joined, then
 * cut into the same per-window objects as the lake (an hour each), each gzipped at once and
 * written. No row is parsed, checked or re-encoded: the API's CSV is kept as it came.
 */
async function naiveCase(settings: CaseSettings): Promise<Omit<CaseResult, 'maxRssMb'>> {
  const started = performance.now();
  const bodies: string[] = [];
  for (const request of requestsOf(settings)) {
    const chunks: Buffer[] = [];
    await postCsv(`${settings.baseUrl}/export?format=csv`, request, (chunk) => chunks.push(chunk));
    bodies.push(Buffer.concat(chunks).toString('utf8'));
  }
  const lines = bodies.flatMap((body) => body.split('\n').slice(1, -1));
  const { header } = new LakeCsvEncoder(BENCH_DATASET);
  const windows = new Map<number, string[]>();
  for (const line of lines) {
    const start = Math.floor(Number(line.slice(0, line.indexOf(','))) / TIME.HOUR) * TIME.HOUR;
    const window = windows.get(start) ?? [];
    if (window.length === 0) windows.set(start, window);
    window.push(line);
  }
  await mkdir(settings.root, { recursive: true });
  let outputBytes = 0;
  for (const [start, window] of windows) {
    const gz = gzipSync(`${header}${window.join('\n')}\n`);
    outputBytes += gz.length;
    await writeFile(join(settings.root, `naive-${start}.csv.gz`), gz);
  }
  return { rows: lines.length, seconds: (performance.now() - started) / 1000, outputBytes };
}

const settings = JSON.parse(process.argv[2] ?? '{}') as CaseSettings;
const run = { pipeline: pipelineCase, gzip: gzipCase, naive: naiveCase, api: apiCase }[settings.kind];
const measured = await run(settings);
const result: CaseResult = { ...measured, maxRssMb: ownPeakRssMb() };
process.stdout.write(`${JSON.stringify(result)}\n`);
