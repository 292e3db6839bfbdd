/**
 * The token middleware against Secrets Manager in moto: read through @middy/secrets-manager,
 * cached across invocations, read again when the client asks for a refresh after a 401.
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { clearCache } from '@middy/util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenProvider } from '../../lambdas/core/source.ts';
import { type ApiTokenContext, apiToken } from '../../lambdas/handlers/middleware.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { restoreEnvironment, setEnvironment } from '../support/process-environment.ts';

let moto: RunningMoto;
let secrets: SecretsManagerClient;

/** A handler that hands its token provider out, invoked once per call like a new invocation. */
function invoker(secretId: string) {
  const handler = middy(async (_event: unknown, context: ApiTokenContext) => context.apiToken).use(
    apiToken(secretId),
  );
  return async (): Promise<TokenProvider> => (await handler({}, {} as ApiTokenContext)) as TokenProvider;
}

beforeAll(async () => {
  moto = await startMoto();
  // The middleware's client is created by middy; like in Lambda, it reads the environment.
  setEnvironment(moto.environment);
  secrets = new SecretsManagerClient(moto.clientConfig);
});

afterEach(() => clearCache());

afterAll(async () => {
  restoreEnvironment();
  await moto?.stop();
});

describe('the API token middleware', () => {
  it('reads a raw token and a JSON {"token"} secret', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'raw', SecretString: 'raw-token-1' }));
    await secrets.send(new CreateSecretCommand({ Name: 'json', SecretString: '{"token":"json-token-1"}' }));
    expect(await (await invoker('raw')())({ refresh: false })).toBe('raw-token-1');
    expect(await (await invoker('json')())({ refresh: false })).toBe('json-token-1');
  });

  it('keeps the cached token across invocations and reads the secret again on refresh', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'before' }));
    const invoke = invoker('rotating');
    expect(await (await invoke())({ refresh: false })).toBe('before');
    await secrets.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'after' }));
    const provider = await invoke();
    expect(await provider({ refresh: false })).toBe('before');
    expect(await provider({ refresh: true })).toBe('after');
    // The next invocation starts from the refreshed cache.
    expect(await (await invoke())({ refresh: false })).toBe('after');
  });

  it('names the secret and the cause when the secret cannot be read', async () => {
    const provider = await invoker('does-not-exist')();
    await expect(provider({ refresh: false })).rejects.toThrow(
      /could not read the API token from Secrets Manager secret "does-not-exist": ResourceNotFoundException/,
    );
  });
});
