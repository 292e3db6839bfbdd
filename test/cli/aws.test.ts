import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type RunningMoto, sentRawMessages, startMoto } from '../support/moto.ts';
import { runCli } from './run-cli.ts';

const NOW = '2026-11-20T06:30:00Z';

describe('peer5-reporter against AWS services (moto) and a token from Secrets Manager', () => {
  let moto: RunningMoto;
  let simulator: RunningSimulator;
  let awsEnv: Record<string, string>;

  beforeAll(async () => {
    [moto, simulator] = await Promise.all([
      startMoto(),
      startSimulator({ now: Date.parse(NOW), segments: 200 }),
    ]);
    awsEnv = { ...moto.environment };
    await new S3Client(moto.clientConfig).send(new CreateBucketCommand({ Bucket: 'analytics-lake' }));
    await new SecretsManagerClient(moto.clientConfig).send(
      new CreateSecretCommand({ Name: 'peer5/token', SecretString: JSON.stringify({ token: 'demo-token' }) }),
    );
    await new SESClient(moto.clientConfig).send(
      new VerifyEmailIdentityCommand({ EmailAddress: 'reports@example.com' }),
    );
  });

  afterAll(async () => {
    await Promise.all([moto.stop(), simulator.close()]);
  });

  it('runs the daily export into an S3 lake with the token read from a secret', async () => {
    const result = await runCli(
      [
        'run',
        'daily',
        '--now',
        NOW,
        '--lake',
        's3://analytics-lake/peer5',
        '--api-url',
        simulator.url,
        '--token-secret',
        'peer5/token',
        '--json',
      ],
      { env: awsEnv },
    );
    expect(result.stderr).not.toContain('demo-token');
    expect(result.code).toBe(0);
    const listed = await new S3Client(moto.clientConfig).send(
      new ListObjectsV2Command({ Bucket: 'analytics-lake', Prefix: 'peer5/by_page_1d/' }),
    );
    const keys = (listed.Contents ?? []).map((object) => object.Key);
    expect(keys).toContain('peer5/by_page_1d/dt=2026-11-19/by_page_1d_2026-11-19.csv.gz');
  });

  it('fails with exit code 1 and names the secret when it does not exist', async () => {
    const result = await runCli(
      [
        'run',
        'daily',
        '--now',
        NOW,
        '--lake',
        's3://analytics-lake/elsewhere',
        '--api-url',
        simulator.url,
        '--token-secret',
        'missing/secret',
      ],
      { env: awsEnv },
    );
    expect(result.code).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toContain('missing/secret');
  });

  it('names the secret and never its content when the token was stored as a JSON key', async () => {
    const token = 'tok-KEYLEAK-9d2f61c0ab';
    await new SecretsManagerClient(moto.clientConfig).send(
      new CreateSecretCommand({ Name: 'peer5/keyed', SecretString: JSON.stringify({ [token]: '' }) }),
    );
    const common = ['--now', NOW, '--api-url', simulator.url, '--token-secret', 'peer5/keyed'];
    const run = await runCli(['run', 'daily', ...common, '--lake', 's3://analytics-lake/keyed'], {
      env: awsEnv,
    });
    const report = await runCli(['report', ...common, '--outbox', path.join(tmpdir(), 'peer5-keyed')], {
      env: awsEnv,
    });
    for (const result of [run, report]) {
      expect(result.code).toBe(1);
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toContain('secret "peer5/keyed" holds a JSON object without a non-empty string "token"');
      expect(output).toContain('{"token": "<token>"}');
      expect(output).not.toContain(token);
      expect(output).not.toContain('KEYLEAK');
    }
  });

  it('never feeds simulated numbers into S3: without a token it reads the default secret', async () => {
    const result = await runCli(
      ['run', 'daily', '--now', NOW, '--lake', 's3://analytics-lake/no-simulator'],
      {
        env: awsEnv,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('embedded simulator');
    expect(`${result.stdout}${result.stderr}`).toContain('"peer5-reporter/api-token"');
    const listed = await new S3Client(moto.clientConfig).send(
      new ListObjectsV2Command({ Bucket: 'analytics-lake', Prefix: 'no-simulator/' }),
    );
    expect(listed.KeyCount).toBe(0);
  });

  it('takes the bucket, the secret, the API and SES from a config file, as the stack does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'peer5-config-'));
    await writeFile(
      path.join(dir, 'peer5-reporter.config.json'),
      JSON.stringify({
        bucketName: 'analytics-lake',
        prefix: 'from-config',
        secretName: 'peer5/token',
        apiBaseUrl: simulator.url,
        sender: 'reports@example.com',
        recipients: ['config@example.com'],
      }),
    );
    try {
      const run = await runCli(['run', 'daily', '--now', NOW, '--json'], { cwd: dir, env: awsEnv });
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as { lake: string }).lake).toBe('s3://analytics-lake/from-config');
      const listed = await new S3Client(moto.clientConfig).send(
        new ListObjectsV2Command({ Bucket: 'analytics-lake', Prefix: 'from-config/by_page_1d/' }),
      );
      expect(listed.KeyCount).toBeGreaterThan(0);

      const before = sentRawMessages(await moto.data()).length;
      const report = await runCli(['report', '--now', NOW, '--json'], { cwd: dir, env: awsEnv });
      expect(report.code).toBe(0);
      const raw = sentRawMessages(await moto.data());
      expect(raw).toHaveLength(before + 1);
      const mail = await simpleParser(raw.at(-1) ?? '');
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([
        'config@example.com',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('warns in plan when the S3 bucket would keep the parts of killed uploads, and stops once it has the rule', async () => {
    const s3 = new S3Client(moto.clientConfig);
    await s3.send(new CreateBucketCommand({ Bucket: 'owner-lake' }));
    const plan = () =>
      runCli(['plan', 'daily', '--now', NOW, '--lake', 's3://owner-lake/peer5', '--json'], { env: awsEnv });
    const before = await plan();
    expect(before.code).toBe(0);
    expect(before.stderr).toContain(
      'Warning: bucket owner-lake has no lifecycle configuration, so nothing aborts incomplete multipart uploads under s3://owner-lake/peer5/',
    );
    expect((JSON.parse(before.stdout) as { warnings: string[] }).warnings).toHaveLength(1);

    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'owner-lake',
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'abort-incomplete-uploads',
              Status: 'Enabled',
              Filter: { Prefix: 'peer5/' },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      }),
    );
    const after = await plan();
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('Warning');
    expect((JSON.parse(after.stdout) as { warnings: string[] }).warnings).toEqual([]);
  });

  it('sends the report through SES to the given recipients', async () => {
    const result = await runCli(
      [
        'report',
        '--now',
        NOW,
        '--api-url',
        simulator.url,
        '--ses-from',
        'reports@example.com',
        '--to',
        'ops@example.com',
        '--to',
        'cfo@example.com',
        '--json',
      ],
      { env: { ...awsEnv, PEER5_TOKEN: 'demo-token' } },
    );
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { subject: string; messageId: string };
    expect(output.messageId).toBeTruthy();
    const raw = sentRawMessages(await moto.data());
    const mail = await simpleParser(raw.at(-1) ?? '');
    expect(mail.subject).toBe(output.subject);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([
      'ops@example.com',
      'cfo@example.com',
    ]);
  });
});
