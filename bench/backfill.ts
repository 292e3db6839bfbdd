/**
 * A 14-day backfill of every built-in dataset, run as the Backfill state machine runs it: the
 * core's items, `backfillConcurrency` workers each taking the next item, every item an export
 * paced by its own RequestPacer to its share of the budget and waiting out its last slot. Against
 * the simulator with its rate limit set to `apiRequestsPerMinute`, scaled up so the bench takes
 * seconds (the ratio does not depend on the scale while requests are much shorter than the pace).
 *
 * It prints the wall time ÷ (requests ÷ the backfill's share of the limit): 1 is the budget's
 * pace exactly, the goal is at most 1.1, and the simulator's 429s, which must be 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { ExportClient, RequestPacer } from '../lambdas/adapters/peer5-api/index.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../lambdas/core/datasets.ts';
import { backfillBudgetOf } from '../lambdas/core/lake/backfill-budget.ts';
import { type BackfillItem, backfillItemsOf } from '../lambdas/core/lake/backfill-items.ts';
import { planBackfillRun, runBackfill } from '../lambdas/core/lake/run.ts';
import { startSimulator } from '../simulator/index.ts';
import { BENCH_TOKEN, PACING_SIMULATOR } from './settings.ts';

/** The bench's budget: the defaults' concurrency, the limit scaled 10 times (30/min would take minutes). */
const BUDGET = { apiRequestsPerMinute: 300, backfillConcurrency: 4 };
const NOW = Date.UTC(2024, 4, 20);

export async function benchBackfill(): Promise<string> {
  const sim = await startSimulator({
    ...PACING_SIMULATOR,
    now: NOW,
    rateLimit: { requests: BUDGET.apiRequestsPerMinute },
  });
  const root = await mkdtemp(join(tmpdir(), 'peer5-bench-backfill-'));
  try {
    const sink = new LocalLakeSink({ root });
    const range = { from: NOW - 14 * TIME.DAY, to: NOW - TIME.DAY };
    const common = { sink, prefix: 'peer5', datasets: DEFAULT_DATASETS, now: NOW };
    const items = backfillItemsOf(await planBackfillRun({ ...common, ...range }), false);
    const budget = backfillBudgetOf(BUDGET);
    const queue: BackfillItem[] = [...items];
    let requests = 0;
    const worker = async () => {
      // One worker is one concurrency slot: an item Lambda's instance, pacer and all.
      const pacer = new RequestPacer(budget.itemPace);
      for (let item = queue.shift(); item; item = queue.shift()) {
        const client = new ExportClient({
          baseUrl: sim.url,
          token: async () => BENCH_TOKEN,
          now: () => NOW,
          pacer,
        });
        const datasets = DEFAULT_DATASETS.filter((dataset) => item.datasets.includes(dataset.name));
        const result = await runBackfill({
          ...common,
          datasets,
          from: Date.parse(item.from),
          to: Date.parse(item.to),
          source: client,
        });
        if (result.failed.length > 0) throw new Error(`item ${JSON.stringify(item)} failed`);
        requests += client.stats.requests;
        await pacer.drain();
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: BUDGET.backfillConcurrency }, worker));
    const wallMs = performance.now() - started;
    const idealMs = (requests / budget.backfillPerMinute) * TIME.MINUTE;
    const fullLimitMs = (requests / BUDGET.apiRequestsPerMinute) * TIME.MINUTE;
    return [
      '',
      `Backfill of 14 days, every built-in dataset, ${items.length} items, ${BUDGET.backfillConcurrency} at once, apiRequestsPerMinute ${BUDGET.apiRequestsPerMinute} (scaled):`,
      `  ${requests} API requests in ${(wallMs / 1000).toFixed(1)} s; ${sim.stats.byStatus[429] ?? 0} answered 429.`,
      `  wall time ÷ (requests ÷ the backfill's share, ${budget.backfillPerMinute}/min): ${(wallMs / idealMs).toFixed(2)} (goal ≤ 1.1)`,
      `  wall time ÷ (requests ÷ the whole limit): ${(wallMs / fullLimitMs).toFixed(2)} (a fifth of the limit stays free for the scheduled runs, so 1.25 is the floor)`,
    ].join('\n');
  } finally {
    await sim.close();
    await rm(root, { recursive: true, force: true });
  }
}
