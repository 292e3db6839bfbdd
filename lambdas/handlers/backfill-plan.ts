/**
 * The Backfill state machine's Plan step: checks the execution's input (a backfill event; unknown
 * keys fail), plans the backfill from what the lake holds, and cuts the plan into work items. A
 * small list goes back in the result for the inline Map; a large one is written to S3 for the
 * Distributed Map's ItemReader.
 *
 * Event: `{"request": <the execution's input>, "execution": "<the execution's ARN>"}`.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type BackfillItem, backfillItemsOf, INLINE_ITEMS_LIMIT } from '../core/lake/backfill-items.ts';
import { BACKFILL_ITEM_LIST_ID_LENGTH, backfillItemListKey } from '../core/lake/keys.ts';
import { EventError, parseBackfillEvent } from './events.ts';
import { config, planOfBackfillRequest, sink } from './export-run.ts';
import { logger, reporterHandler } from './middleware.ts';

const stepEvent = z.strictObject({ request: z.unknown(), execution: z.string().min(1) });

export interface BackfillPlanResult {
  /** The execution's input, checked: what the Summary step reads back. */
  readonly request: unknown;
  readonly itemCount: number;
  readonly windows: number;
  readonly requests: number;
  readonly gapWindows: number;
  /** True: `items` holds the list, for the inline Map. False: `itemList` names it in S3. */
  readonly inline: boolean;
  readonly items: readonly BackfillItem[];
  readonly itemList: { readonly bucket: string; readonly key: string };
}

// The token is read at first use, and planning sends no request: this function never reads it.
export const handler = reporterHandler(
  config.secretName,
  async (event: unknown): Promise<BackfillPlanResult> => {
    const parsed = stepEvent.safeParse(event);
    if (!parsed.success) {
      throw new EventError(
        'Invalid Plan step event: must be {"request": <backfill input>, "execution": "<execution ARN>"}',
      );
    }
    const request = parseBackfillEvent(parsed.data.request, config.datasets);
    const plan = await planOfBackfillRequest(request, request.force);
    const items = backfillItemsOf(plan, request.force);
    const id = createHash('sha256')
      .update(parsed.data.execution)
      .digest('hex')
      .slice(0, BACKFILL_ITEM_LIST_ID_LENGTH);
    const itemList = { bucket: config.bucketName, key: backfillItemListKey(config.prefix, id) };
    const inline = items.length <= INLINE_ITEMS_LIMIT;
    if (!inline) await sink.put(itemList.key, Buffer.from(JSON.stringify(items)));
    const gapWindows = plan.gaps.reduce((sum, gap) => sum + gap.windows, 0);
    logger.info('Backfill planned', {
      event: 'backfill-planned',
      items: items.length,
      windows: plan.windows,
      // An item is at most the API's longest range: one request each.
      requests: items.length,
      gapWindows,
      inline,
    });
    return {
      request: parsed.data.request,
      itemCount: items.length,
      windows: plan.windows,
      // An item is at most the API's longest range: one request each.
      requests: items.length,
      gapWindows,
      inline,
      items: inline ? items : [],
      itemList,
    };
  },
);
