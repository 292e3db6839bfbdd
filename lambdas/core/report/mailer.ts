/**
 * Where a composed report goes. Two implementations: SES in production (`SesMailer`) and a
 * directory on disk (`OutboxMailer`), the default for local runs and demos.
 */
import type { ReportEmail } from './email.ts';

export interface MailerReceipt {
  /** The id SES gave the message, when it was sent. */
  readonly messageId?: string;
  /** Files written, when the mailer writes files. */
  readonly paths?: readonly string[];
}

export interface Mailer {
  send(email: ReportEmail): Promise<MailerReceipt>;
}
