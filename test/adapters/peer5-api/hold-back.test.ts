import { describe, expect, it } from 'vitest';
import { holdBack } from '../../../lambdas/adapters/peer5-api/hold-back.ts';

/** A source that records, next to what the consumer saw, when each item was produced. */
function recording<T>(items: readonly T[], log: string[], failAfter?: number): AsyncGenerator<T> {
  return (async function* () {
    for (const [index, item] of items.entries()) {
      log.push(`made ${String(item)}`);
      yield item;
      if (failAfter === index + 1) throw new Error('the body broke');
    }
  })();
}

async function drain<T>(items: AsyncIterable<T>, log: string[]): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of items) {
    log.push(`saw ${String(item)}`);
    seen.push(item);
  }
  return seen;
}

describe('holdBack', () => {
  it('keeps items while holding, releases them in order, then passes the rest straight through', async () => {
    const log: string[] = [];
    let made = 0;
    const source = recording([1, 2, 3, 4, 5], log);
    const counted = (async function* () {
      for await (const item of source) {
        made++;
        yield item;
      }
    })();
    const seen = await drain(
      holdBack(counted, () => made < 3),
      log,
    );
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(log).toEqual([
      'made 1',
      'made 2',
      'made 3',
      'saw 1',
      'saw 2',
      'saw 3',
      'made 4',
      'saw 4',
      'made 5',
      'saw 5',
    ]);
  });

  it('releases everything held when the source ends while still holding', async () => {
    const log: string[] = [];
    expect(
      await drain(
        holdBack(recording(['a', 'b'], log), () => true),
        log,
      ),
    ).toEqual(['a', 'b']);
    expect(log).toEqual(['made a', 'made b', 'saw a', 'saw b']);
  });

  it('passes every item straight through when it never holds', async () => {
    const log: string[] = [];
    await drain(
      holdBack(recording([1, 2], log), () => false),
      log,
    );
    expect(log).toEqual(['made 1', 'saw 1', 'made 2', 'saw 2']);
  });

  it('does not hold again once it has released, whatever the gate says later', async () => {
    const gate = [true, false, true, true];
    let asked = 0;
    const log: string[] = [];
    await drain(
      holdBack(recording([1, 2, 3, 4], log), () => gate[asked++] ?? true),
      log,
    );
    expect(log).toEqual(['made 1', 'made 2', 'saw 1', 'saw 2', 'made 3', 'saw 3', 'made 4', 'saw 4']);
  });

  it('drops what it holds when the source fails, so the consumer sees none of it', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    const failing = holdBack(recording([1, 2, 3], log, 2), () => true);
    await expect(
      (async () => {
        for await (const item of failing) seen.push(item);
      })(),
    ).rejects.toThrow('the body broke');
    expect(seen).toEqual([]);
  });

  it('releases batches as whole items', async () => {
    const batches = [[1, 2], [3], [4, 5, 6]];
    let made = 0;
    const source = (async function* () {
      for (const batch of batches) {
        made++;
        yield batch;
      }
    })();
    const seen: number[][] = [];
    for await (const batch of holdBack(source, () => made < 2)) seen.push(batch);
    expect(seen).toEqual(batches);
  });

  it('stops the source when the consumer stops early', async () => {
    let finished = false;
    const source = (async function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        finished = true;
      }
    })();
    for await (const item of holdBack(source, () => false)) if (item === 2) break;
    expect(finished).toBe(true);
  });
});
