/**
 * Publishes the watch's messages to its SNS topic. One publish carries two renderings
 * (`MessageStructure: json`): email subscribers get the plain text, every other protocol (AWS
 * Chatbot, SQS, Lambda, HTTPS) the AWS Chatbot custom notification, whose
 * `metadata.additionalContext` holds the event's fields (insights/watch-message.ts).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { chatbotNotificationOf, type WatchEvent, watchEmailOf } from '../core/insights/watch-message.ts';
import type { WatchChannel } from '../core/insights/watch-run.ts';

/** SNS subjects are ASCII, without line breaks, under 100 characters. */
export const SNS_SUBJECT_LIMIT = 99;

/** The subject as SNS accepts it: the signs and dashes as ASCII, cut at the limit. */
export function snsSubjectOf(subject: string): string {
  const ascii = subject
    .replace(/\u2212/g, '-')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SNS_SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SNS_SUBJECT_LIMIT - 3)}...`;
}

/** The SNS `Message` of an event: a JSON object of one text per protocol. */
export function snsMessageOf(event: WatchEvent): { readonly default: string; readonly email: string } {
  return { default: JSON.stringify(chatbotNotificationOf(event)), email: watchEmailOf(event).text };
}

export interface SnsWatchChannelOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
}

export class SnsWatchChannel implements WatchChannel {
  readonly name: string;

  constructor(private readonly options: SnsWatchChannelOptions) {
    this.name = `SNS topic ${options.topicArn}`;
  }

  async send(event: WatchEvent): Promise<void> {
    await this.options.sns.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Subject: snsSubjectOf(watchEmailOf(event).subject),
        MessageStructure: 'json',
        Message: JSON.stringify(snsMessageOf(event)),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: event.kind },
          incidentId: { DataType: 'String', StringValue: event.incidentId },
        },
      }),
    );
  }
}
