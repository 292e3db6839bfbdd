/**
 * Sends the watch's plain, short email through SES (v1 SendEmail, text only) to the watch's
 * recipients, from the report's sender. SES failures are explained as the report's are.
 */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { type WatchEvent, watchEmailOf } from '../core/insights/watch-message.ts';
import type { WatchChannel } from '../core/insights/watch-run.ts';
import { emailAddressOf } from '../core/report/config.ts';
import { deliveryErrorFrom } from '../core/report/delivery-error.ts';

export interface SesWatchChannelOptions {
  readonly ses: SESClient;
  /** `Name <address>` or an address, as the `sender` setting. */
  readonly from: string;
  readonly to: readonly string[];
}

export class SesWatchChannel implements WatchChannel {
  readonly name: string;

  constructor(private readonly options: SesWatchChannelOptions) {
    this.name = `email to ${options.to.length} recipient${options.to.length === 1 ? '' : 's'}`;
  }

  async send(event: WatchEvent): Promise<void> {
    const { ses, from, to } = this.options;
    const email = watchEmailOf(event);
    const region = await ses.config.region().catch(() => undefined);
    try {
      await ses.send(
        new SendEmailCommand({
          Source: from,
          Destination: { ToAddresses: to.map((recipient) => emailAddressOf(recipient) ?? recipient) },
          Message: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
          },
        }),
      );
    } catch (error: unknown) {
      throw deliveryErrorFrom(error, { from, to, ...(region ? { region } : {}) });
    }
  }
}
