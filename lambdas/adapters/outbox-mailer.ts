/**
 * Writes each report to a directory instead of sending it: `<date>-<slug>.eml` (open it in any mail
 * client) and `<date>-<slug>.html` (the same HTML with the chart inlined, for a browser).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportEmail } from '../core/report/email.ts';
import type { Mailer, MailerReceipt } from '../core/report/mailer.ts';

export interface OutboxMailerOptions {
  readonly dir: string;
}

/** Lower-case words of the subject joined by hyphens, without the date the name starts with. */
export function outboxSlug(email: Pick<ReportEmail, 'date' | 'subject'>): string {
  const slug = email.subject
    .replace(email.date, ' ')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return slug === '' ? 'report' : slug;
}

export class OutboxMailer implements Mailer {
  constructor(private readonly options: OutboxMailerOptions) {}

  async send(email: ReportEmail): Promise<MailerReceipt> {
    await mkdir(this.options.dir, { recursive: true });
    const base = join(this.options.dir, `${email.date}-${outboxSlug(email)}`);
    const emlPath = `${base}.eml`;
    const htmlPath = `${base}.html`;
    await writeFile(emlPath, email.raw);
    await writeFile(htmlPath, email.previewHtml, 'utf8');
    return { messageId: email.messageId, paths: [emlPath, htmlPath] };
  }
}
