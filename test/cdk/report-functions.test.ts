/**
 * The report function's right to send mail, and the sender it derives from the settings.
 */
import { describe, expect, it } from 'vitest';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import { WATCH_STATE_KEY_VARIABLE } from '../../lambdas/handlers/environment.ts';
import { reportSenderOf } from '../../lib/report-functions.ts';
import { defaultStack, propertiesOfType, statementsOfRole, summarize } from './synth.ts';

describe('the report functions of the stack with every default dataset', () => {
  const { resources } = defaultStack();

  it('let the report send only as the sender, through its identity and the recipients in the sandbox', () => {
    const statements = summarize(statementsOfRole(resources, 'DailyReportRole'));
    const identity = (address: string) =>
      `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/${address}`;
    expect(statements.map((statement) => statement.sid)).toEqual([
      'WriteOwnLogs',
      'ReadApiToken',
      'ListLake',
      'ReadWatchState',
      'SendReport',
      undefined,
    ]);
    // The footer's lake health lists keys under the lake prefix; the one object the report reads
    // is the offload watch's state, for the day's alerts.
    expect(statements[2]?.actions).toEqual(['s3:ListBucket']);
    expect(statements[3]?.actions).toEqual(['s3:GetObject']);
    expect(statements[3]?.resources).toEqual([`<LakeBucketB1D32E10.Arn>/${watchStateKey('peer5')}`]);
    expect(statements[4]).toEqual({
      sid: 'SendReport',
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resources: [identity('reports@example.com'), identity('ops@example.com'), identity('cto@example.com')],
      condition: { StringEquals: { 'ses:FromAddress': 'reports@example.com' } },
    });
  });

  it('tell the report where the offload watch keeps its state', () => {
    const report = propertiesOfType(resources, 'AWS::Lambda::Function').find((fn) =>
      fn.id.startsWith('DailyReport'),
    );
    if (report === undefined) throw new Error('the stack has no DailyReport function');
    const { Variables: variables } = report.Environment as { Variables: Record<string, unknown> };
    expect(variables[WATCH_STATE_KEY_VARIABLE]).toBe(watchStateKey('peer5'));
  });
});

describe('the report sender', () => {
  it('sends from the bare address of a sender with a display name', () => {
    expect(reportSenderOf({ sender: 'Peer5 Reports <reports@acme.tv>' })).toEqual({
      address: 'reports@acme.tv',
      identity: 'reports@acme.tv',
    });
  });

  it('sends through the senderIdentity setting when there is one', () => {
    expect(reportSenderOf({ sender: 'reports@acme.tv', senderIdentity: 'acme.tv' })).toEqual({
      address: 'reports@acme.tv',
      identity: 'acme.tv',
    });
  });
});
