/**
 * Sends the report through SES (v1 SendRawEmail, which takes the MIME message as built). The
 * client is the caller's, so the handler owns its configuration and its lifetime.
 */
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { emailAddressOf } from '../core/report/config.ts';
import { deliveryErrorFrom } from '../core/report/delivery-error.ts';
import type { ReportEmail } from '../core/report/email.ts';
import type { Mailer, MailerReceipt } from '../core/report/mailer.ts';

export interface SesMailerOptions {
  readonly ses: SESClient;
}

export class SesMailer implements Mailer {
  constructor(private readonly options: SesMailerOptions) {}

  async send(email: ReportEmail): Promise<MailerReceipt> {
    const { ses } = this.options;
    const region = await ses.config.region().catch(() => undefined);
    try {
      const response = await ses.send(
        new SendRawEmailCommand({
          // The envelope sender is the bare address: SES refuses a display name it would have to
          // encode here, and the From header of the raw message already carries the name.
          Source: emailAddressOf(email.from) ?? email.from,
          Destinations: email.to.map((recipient) => emailAddressOf(recipient) ?? recipient),
          RawMessage: { Data: email.raw },
        }),
      );
      return response.MessageId ? { messageId: response.MessageId } : {};
    } catch (error: unknown) {
      throw deliveryErrorFrom(error, { from: email.from, to: email.to, ...(region ? { region } : {}) });
    }
  }
}
