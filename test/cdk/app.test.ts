/**
 * The CDK app: settings read from the context fail the synth when they are wrong or misspelt,
 * naming the setting and the rule, and context keys that are no setting draw a warning.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../lib/app.ts';
import { synthesized } from './synth.ts';

describe('bad context settings', () => {
  it('fail synth on misspelt settings, naming the setting each was meant to be', () => {
    expect(() =>
      createApp({
        context: {
          sender: 'reports@example.com',
          recipients: 'ops@example.com',
          timezone: 'Europe/Berlin',
          reportTIme: '06:00',
          retentiondays: 30,
        },
        bundle: false,
      }),
    ).toThrow(
      [
        'Unknown setting "timezone": did you mean "timeZone"?',
        'Unknown setting "reportTIme": did you mean "reportTime"?',
        'Unknown setting "retentiondays": did you mean "retentionDays"?',
      ].join('\n'),
    );
  });

  it('report a misspelt setting together with the invalid ones', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops', Prefix: 'x' },
        bundle: false,
      }),
    ).toThrow(
      'Unknown setting "Prefix": did you mean "prefix"?\nInvalid setting "recipients[0]": must be an email address',
    );
  });

  it('fail synth with a retention shorter than the runs catch up', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops@example.com', retentionDays: '7' },
        bundle: false,
      }),
    ).toThrow(/^Invalid setting "retentionDays": must be at least \d+: scheduled runs fetch every window/);
  });

  it('fail synth with the setting and the rule named', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops', prefix: '/x/' },
        bundle: false,
      }),
    ).toThrow(
      /Invalid setting "recipients\[0\]": must be an email address\nInvalid setting "prefix": must be a key prefix/,
    );
  });
});

describe('context keys that are not settings', () => {
  function unknownKeyWarnings(context: Record<string, unknown>): string[] {
    const { stack } = synthesized({ sender: 'reports@acme.tv', recipients: 'ops@acme.tv', ...context });
    return stack.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:warning')
      .map((entry) => String(entry.data))
      .filter((warning) => warning.includes('is not a peer5-reporter setting'));
  }

  it('warn on synth, naming the key, when it looks like no setting', () => {
    expect(unknownKeyWarnings({ owner: 'data-team' })).toEqual([
      'Context key "owner" is not a peer5-reporter setting and is ignored. See "Settings" in README.md. [ack: peer5-reporter:unknown-context-key]',
    ]);
  });

  it("leave the CDK's own keys alone: feature flags, aws:cdk options, lookups and what its CLI writes", () => {
    expect(
      unknownKeyWarnings({
        '@aws-cdk/core:failSynthOnValidationErrors': false,
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:version-reporting': true,
        'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
        'acknowledged-issue-numbers': [32775],
        'cli-telemetry': false,
        'cdk-migrate': true,
      }),
    ).toEqual([]);
  });
});
