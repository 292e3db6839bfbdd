/**
 * The hold-back buffer: items of an attempt wait here until enough of the body has arrived that a
 * failure is unlikely to come before the end (see the client's module comment). A response that
 * fails while its items are held is retried without the consumer having seen any of them.
 *
 * Generic over items, so the same gate serves single rows or whole batches.
 */

/**
 * Yields `source`'s items in order, but keeps them while `holding()` is true; once it turns false
 * the held items go out and every later item passes straight through. Whatever is still held
 * when `source` ends goes out then; whatever is held when `source` throws is dropped.
 */
export async function* holdBack<T>(source: AsyncIterable<T>, holding: () => boolean): AsyncGenerator<T> {
  const held: T[] = [];
  let open = false;
  for await (const item of source) {
    held.push(item);
    if (!open && holding()) continue;
    open = true;
    yield* release(held);
  }
  yield* release(held);
}

/** The one release loop: empties the buffer in order, handing each item on as it goes. */
function* release<T>(held: T[]): Generator<T> {
  const items = held.splice(0);
  for (const item of items) yield item;
}
