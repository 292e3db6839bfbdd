/**
 * Starts a real moto_server (S3, SES, SESv2, Secrets Manager on one endpoint) on a free port, so
 * integration tests use the real SDK clients over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { MOTO_SERVER, requireProgram } from './prerequisites.ts';

export interface RunningMoto {
  readonly endpoint: string;
  /** The server's process id: the bench counts the CPU time it spends answering. */
  readonly pid: number | undefined;
  /** Client settings that point a real SDK v3 client at this moto. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: true;
  };
  /**
   * The environment that points a process's own SDK clients at this moto: for a bundled handler,
   * a child process, or middleware that creates its client from process.env.
   */
  readonly environment: Readonly<Record<string, string>>;
  reset(): Promise<void>;
  /** Everything moto recorded; read sent mail with `sentRawMessages`. */
  data(): Promise<MotoData>;
  stop(): Promise<void>;
}

/** One raw message as the installed moto records it under `ses.RawMessage`. */
interface MotoRawMessage {
  readonly raw_data?: string;
  readonly source?: string;
}

export interface MotoData {
  readonly ses?: {
    readonly RawMessage?: readonly MotoRawMessage[];
    /** Older moto releases listed messages here instead. */
    readonly sent_emails?: readonly { readonly RawData?: string }[];
  };
  readonly [service: string]: unknown;
}

/** The raw MIME of every message sent through moto's SES, oldest first, from either layout. */
export function sentRawMessages(data: MotoData): string[] {
  const legacy = (data.ses?.sent_emails ?? []).flatMap((message) =>
    message.RawData ? [message.RawData] : [],
  );
  const current = (data.ses?.RawMessage ?? []).flatMap((message) =>
    message.raw_data ? [message.raw_data] : [],
  );
  return [...legacy, ...current];
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('could not read a free port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    const failure = spawnError();
    if (failure !== undefined) throw new Error(`moto_server could not start: ${failure.message}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export interface StartMotoOptions {
  readonly region?: string;
  /** The environment moto_server is looked up in and started with. */
  readonly env?: NodeJS.ProcessEnv;
}

export async function startMoto(options: StartMotoOptions = {}): Promise<RunningMoto> {
  const env = options.env ?? process.env;
  const executable = requireProgram(MOTO_SERVER, env);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilReady(endpoint, child, 30_000, () => spawnError);
  } catch (error: unknown) {
    child.kill('SIGKILL');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\n${stderr}`);
  }
  const region = options.region ?? 'us-east-1';
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  return {
    endpoint,
    pid: child.pid,
    clientConfig: { endpoint, region, credentials, forcePathStyle: true },
    environment: {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL: endpoint,
    },
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async data() {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      return (await response.json()) as MotoData;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
