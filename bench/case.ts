/**
 * One bench case, run in its own process so its peak RSS is its own. Reads its settings as JSON
 * from argv, prints one JSON line with the result.
 *
 *   pipeline: simulator over HTTP -> ExportClient -> lake CSV -> gzip -> local sink (runBackfill)
 *   gzip:     gzip alone over the same CSV bytes, read from a file (the floor)
 *   naive:    each response body read whole and parsed, one CSV string built, gzipped at once
 */
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { ExportClient } from '../lambdas/adapters/peer5-api/index.ts';
import type { Dimension, ExportRow, Metric } from '../lambdas/core/contract.ts';
import { exportRequestFor } from '../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../lambdas/core/lake/csv.ts';
import { runBackfill } from '../lambdas/core/lake/run.ts';
import { splitQuery } from '../lambdas/core/query-split.ts';
import { BENCH_DATASET, BENCH_TOKEN, type CaseResult, type CaseSettings } from './settings.ts';

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
    prefix: '',
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

/**
 * POSTs and returns the whole body as one string. A fresh connection per request: the naive case
 * parses for seconds between requests, longer than the server keeps an idle connection open.
 */
function postWhole(url: string, payload: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          'X-Auth-Token': BENCH_TOKEN,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => {
          if (response.statusCode !== 200) reject(new Error(`the export answered ${response.statusCode}`));
          else resolve(Buffer.concat(chunks).toString('utf8'));
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

interface JsonBody {
  readonly data: Record<string, unknown>[];
}

async function naiveCase(settings: CaseSettings): Promise<Omit<CaseResult, 'maxRssMb'>> {
  const encoder = new LakeCsvEncoder(BENCH_DATASET);
  const started = performance.now();
  let csv = encoder.header;
  let rows = 0;
  const query = exportRequestFor(BENCH_DATASET, settings.from, settings.to);
  for (const request of splitQuery(query, { now: settings.now })) {
    const body = JSON.parse(await postWhole(`${settings.baseUrl}/export?format=json`, request)) as JsonBody;
    for (const raw of body.data) {
      const row: ExportRow = {
        timestamp: raw.timestamp as number,
        dimensions: Object.fromEntries(
          BENCH_DATASET.dimensions.map((d: Dimension) => [d, raw[d] as string | null]),
        ),
        metrics: Object.fromEntries(BENCH_DATASET.metrics.map((m: Metric) => [m, raw[m] as number])),
      };
      csv += encoder.line(row);
      rows += 1;
    }
  }
  const gz = gzipSync(csv);
  await mkdir(settings.root, { recursive: true });
  await writeFile(join(settings.root, 'naive.csv.gz'), gz);
  return { rows, seconds: (performance.now() - started) / 1000, outputBytes: gz.length };
}

const settings = JSON.parse(process.argv[2] ?? '{}') as CaseSettings;
const run = { pipeline: pipelineCase, gzip: gzipCase, naive: naiveCase }[settings.kind];
const measured = await run(settings);
const result: CaseResult = { ...measured, maxRssMb: process.resourceUsage().maxRSS / 1024 };
process.stdout.write(`${JSON.stringify(result)}\n`);
