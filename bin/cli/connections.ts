/**
 * Builds what a command runs against: the API (a real token, or the embedded simulator), the lake
 * (a folder or S3) and the mailer (a folder or SES). The SDK clients are the standard ones, so
 * profiles, regions and `AWS_ENDPOINT_URL` work as everywhere else. The SDK, the S3 and SES
 * adapters and the simulator are imported when a command first needs them: loading them all made
 * `--help` take a second and over 100 MB.
 */
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { LocalWatchState } from '../../lambdas/adapters/local-watch-state.ts';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.ts';
import {
  ExportClient,
  type ExportClientEvent,
  RequestPacer,
} from '../../lambdas/adapters/peer5-api/index.ts';
import type { Settings } from '../../lambdas/core/config.ts';
import type { DatasetDefinition } from '../../lambdas/core/datasets.ts';
import { errorText } from '../../lambdas/core/error-text.ts';
import type { WatchStateStore } from '../../lambdas/core/insights/watch-run.ts';
import type { RequestPace } from '../../lambdas/core/lake/backfill-budget.ts';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import type { Mailer } from '../../lambdas/core/report/mailer.ts';
import type { TokenProvider } from '../../lambdas/core/source.ts';
import { nameLike } from '../../lambdas/core/spelling.ts';
import { ApiTokenError, tokenOfSecret } from '../../lambdas/core/token.ts';
import type { RunningSimulator } from '../../simulator/index.ts';
import { type LakeTarget, type MailTarget, UsageError } from './options.ts';

export const TOKEN_VARIABLE = 'PEER5_TOKEN';

export interface ApiConnection {
  readonly client: ExportClient;
  /** Where the data comes from, for the user: the API's URL or "embedded simulator". */
  readonly description: string;
  readonly simulator: RunningSimulator | null;
  close(): Promise<void>;
}

/** Local emulators (moto, LocalStack) answer S3 on one host, without bucket sub-domains. */
function usesEndpointOverride(): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3);
}

function secretsManagerToken(secretName: string): TokenProvider {
  const secrets = import('@aws-sdk/client-secrets-manager').then((sdk) => ({
    client: new sdk.SecretsManagerClient({}),
    sdk,
  }));
  let cached: Promise<string> | undefined;
  return async ({ refresh }) => {
    if (refresh || cached === undefined) {
      cached = secrets
        .then(({ client, sdk }) => client.send(new sdk.GetSecretValueCommand({ SecretId: secretName })))
        .then(
          (response) => tokenOfSecret(response.SecretString ?? '', secretName),
          (error: unknown) => {
            const reason = errorText(error);
            throw new ApiTokenError(
              `could not read the API token from Secrets Manager secret "${secretName}": ${reason}`,
            );
          },
        );
      // A failed read is not cached: the next request tries again.
      cached.catch(() => {
        cached = undefined;
      });
    }
    return await cached;
  };
}

export interface ApiOptions {
  readonly settings: Settings;
  /** Read the token from this Secrets Manager secret (--token-secret, or the config file). */
  readonly tokenSecret: { readonly name: string; readonly flag: boolean } | undefined;
  /** Whether --api-url was given. */
  readonly apiUrlGiven: boolean;
  /** The moment the run acts as of; the embedded simulator's clock is frozen there. */
  readonly now: number | undefined;
  /** What every request, retries included, keeps to (`wholeBudgetPaceOf`), real API and simulator alike. */
  readonly pace: RequestPace;
  /** Forces the embedded simulator even when a token is set (the `start` command). */
  readonly embedded?: boolean;
  /**
   * The command writes to S3 or sends through SES. Simulated numbers must never reach a real lake
   * or real inboxes, so such a run always uses the real API, with the token from `secretName`
   * when neither PEER5_TOKEN nor --token-secret gives one.
   */
  readonly realTarget?: boolean;
  /** Epoch ms by which every request and wait has stopped (--deadline). */
  readonly deadline?: number;
  /** Stops every request and wait at once (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** The client's request, retry and outcome events. */
  readonly onEvent?: (event: ExportClientEvent) => void;
}

/**
 * The API a command talks to. With a token (PEER5_TOKEN or --token-secret), or a real lake or
 * mailer to feed, it is the real API at `apiBaseUrl`; otherwise it is the embedded simulator, so
 * everything works with no account.
 */
export async function connectApi(options: ApiOptions): Promise<ApiConnection> {
  const envToken = process.env[TOKEN_VARIABLE]?.trim();
  const now = options.now;
  const clientClock = now === undefined ? {} : { now: () => now };
  const pacer = new RequestPacer(options.pace);
  const limits = {
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  };
  // --token-secret wins over PEER5_TOKEN, which wins over a secret named in the config file.
  const named = options.tokenSecret?.flag || !envToken ? options.tokenSecret?.name : undefined;
  const secret = named ?? (options.realTarget && !envToken ? options.settings.secretName : undefined);
  if (!options.embedded && (secret !== undefined || envToken)) {
    const token: TokenProvider =
      secret !== undefined ? secretsManagerToken(secret) : async () => envToken as string;
    const client = new ExportClient({
      baseUrl: options.settings.apiBaseUrl,
      token,
      ...clientClock,
      pacer,
      ...limits,
    });
    return { client, description: options.settings.apiBaseUrl, simulator: null, close: async () => {} };
  }
  if (options.apiUrlGiven && !options.embedded) {
    throw new UsageError(`--api-url needs a token: set ${TOKEN_VARIABLE} or pass --token-secret NAME`);
  }
  const { startSimulator } = await import('../../simulator/index.ts');
  const simulator = await startSimulator(now === undefined ? {} : { now });
  const client = new ExportClient({
    baseUrl: simulator.url,
    token: async () => 'demo-token',
    ...clientClock,
    pacer,
    ...limits,
  });
  return {
    client,
    description: `embedded simulator (${simulator.url})`,
    simulator,
    close: () => simulator.close(),
  };
}

export interface LakeConnection {
  readonly sink: LakeSink;
  readonly prefix: string;
  /** Where the lake is, for the user. */
  readonly location: string;
  /** The S3 client and bucket of an s3:// lake, for checks of the bucket itself. */
  readonly s3?: { readonly client: S3Client; readonly bucket: string };
  /** The offload watch's incident state in this lake (`watchStateKey`). */
  readonly watchState: WatchStateStore;
}

export async function connectLake(target: LakeTarget): Promise<LakeConnection> {
  if (target.kind === 'local') {
    // The sink names the folder as the user would type it from here, so that what it writes (the
    // report's lake line among it) does not depend on where the clone happens to be.
    const relative = path.relative(process.cwd(), target.root);
    const named =
      relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? target.root : relative;
    return {
      sink: new LocalLakeSink({ root: target.root, location: named }),
      prefix: target.prefix,
      location: target.root,
      watchState: new LocalWatchState(target.root, watchStateKey(target.prefix)),
    };
  }
  const [{ S3Client }, { S3LakeSink }, { S3WatchState }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../lambdas/adapters/s3-lake-sink.ts'),
    import('../../lambdas/adapters/s3-watch-state.ts'),
  ]);
  const s3 = new S3Client(usesEndpointOverride() ? { forcePathStyle: true } : {});
  const location = `s3://${target.bucket}/${target.prefix}`;
  return {
    sink: new S3LakeSink({ s3, bucket: target.bucket }),
    prefix: target.prefix,
    location,
    s3: { client: s3, bucket: target.bucket },
    watchState: new S3WatchState({ s3, bucket: target.bucket, key: watchStateKey(target.prefix) }),
  };
}

export async function connectMailer(target: MailTarget): Promise<{ mailer: Mailer; location: string }> {
  if (target.kind === 'outbox')
    return { mailer: new OutboxMailer({ dir: target.dir }), location: target.dir };
  const [{ SESClient }, { SesMailer }] = await Promise.all([
    import('@aws-sdk/client-ses'),
    import('../../lambdas/adapters/ses-mailer.ts'),
  ]);
  return { mailer: new SesMailer({ ses: new SESClient({}) }), location: 'Amazon SES' };
}

/** The datasets a command works on: all configured ones, or those named by --datasets. */
export function selectDatasets(
  all: readonly DatasetDefinition[],
  names: string | undefined,
): DatasetDefinition[] {
  if (names === undefined) return [...all];
  const wanted = names
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (wanted.length === 0) throw new UsageError('--datasets must name at least one dataset');
  const known = new Map(all.map((dataset) => [dataset.name, dataset]));
  return wanted.map((name) => {
    const dataset = known.get(name);
    if (dataset === undefined) {
      const meant = nameLike(name, [...known.keys()]);
      throw new UsageError(
        `--datasets: unknown dataset "${name}"; ${meant === undefined ? `known: ${[...known.keys()].join(', ')}` : `did you mean "${meant}"?`}`,
      );
    }
    return dataset;
  });
}
