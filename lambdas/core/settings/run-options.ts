/**
 * Settings as the options of a run: what a Lambda handler and the CLI pass to the lake run and to
 * `runReport`, built once so both turn a setting into an option the same way.
 */

import type { Settings } from '../config.ts';
import { TIME } from '../contract.ts';
import type { WatchSettings } from '../insights/watch.ts';
import type { RunPlanOptions } from '../lake/reach.ts';
import type { RunReportOptions } from '../report/run.ts';

export type LakeRunOptions = Required<Pick<RunPlanOptions, 'settleMs'>>;

/** The lake run's options that come from settings (the lake and its prefix come from where it is). */
export function lakeRunOptionsOf(settings: Pick<Settings, 'settleHours'>): LakeRunOptions {
  return { settleMs: settings.settleHours * TIME.HOUR };
}

export type ReportOptions = Required<
  Pick<RunReportOptions, 'timeZone' | 'from' | 'to' | 'topN' | 'currency' | 'materiality'>
> &
  Pick<RunReportOptions, 'price' | 'runbookUrl'>;

/** The settings the report reads (REPORT_SETTINGS and REPORT_OPTIONAL_SETTINGS name them too). */
export type ReportSettingsOf = Pick<
  Settings,
  | 'timeZone'
  | 'sender'
  | 'recipients'
  | 'reportTopN'
  | 'currency'
  | 'materialOffloadPts'
  | 'materialDeliveredPercent'
  | 'materialRebufferPts'
> &
  Partial<Pick<Settings, 'cdnPricePerGb' | 'runbookUrl'>>;

/**
 * `runReport`'s options that come from settings: who sends it, to whom, in which zone, how long,
 * what a GB costs and when a change is news.
 */
export function reportOptionsOf(settings: ReportSettingsOf): ReportOptions {
  return {
    timeZone: settings.timeZone,
    from: settings.sender,
    to: settings.recipients,
    topN: settings.reportTopN,
    currency: settings.currency,
    materiality: {
      offloadPts: settings.materialOffloadPts,
      deliveredPercent: settings.materialDeliveredPercent,
      rebufferPts: settings.materialRebufferPts,
    },
    ...(settings.cdnPricePerGb !== undefined ? { price: settings.cdnPricePerGb } : {}),
    ...(settings.runbookUrl !== undefined ? { runbookUrl: settings.runbookUrl } : {}),
  };
}

/** The offload watch's thresholds. */
export function watchSettingsOf(
  settings: Pick<Settings, 'watchDropPts' | 'watchMinTrafficShare'>,
): WatchSettings {
  return { dropPts: settings.watchDropPts, minTrafficShare: settings.watchMinTrafficShare };
}

/** Who gets the watch's emails: `watchRecipients`, else the report's recipients. */
export function watchRecipientsOf(
  settings: Pick<Settings, 'watchRecipients' | 'recipients'>,
): readonly string[] {
  return settings.watchRecipients ?? settings.recipients;
}
