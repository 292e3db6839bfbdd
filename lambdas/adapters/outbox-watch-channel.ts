/**
 * Writes the watch's messages to a folder instead of sending them, for local runs and demos:
 * `<incident id>-<kind>.txt` (the email, subject first) and `.json` (the SNS message as
 * subscribers other than email get it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chatbotNotificationOf, type WatchEvent, watchEmailOf } from '../core/insights/watch-message.ts';
import type { WatchChannel } from '../core/insights/watch-run.ts';

/** A file name of an incident id: `offload-drop-2026-11-30T14-00Z-alert`. */
export function watchOutboxName(event: WatchEvent): string {
  return `${event.incidentId.replace(/:/g, '-')}-${event.kind}`;
}

export class OutboxWatchChannel implements WatchChannel {
  readonly name: string;
  /** Files written so far, in order. */
  readonly written: string[] = [];

  constructor(private readonly dir: string) {
    this.name = `outbox ${dir}`;
  }

  async send(event: WatchEvent): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const base = join(this.dir, watchOutboxName(event));
    const email = watchEmailOf(event);
    await writeFile(`${base}.txt`, `Subject: ${email.subject}\n\n${email.text}`, 'utf8');
    await writeFile(`${base}.json`, `${JSON.stringify(chatbotNotificationOf(event), null, 2)}\n`, 'utf8');
    this.written.push(`${base}.txt`, `${base}.json`);
  }
}
