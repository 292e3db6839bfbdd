/**
 * One of the product's Lambda functions: bundled from TypeScript with the local esbuild (no
 * Docker) as ESM for the newest Node.js runtime on arm64, with its own role (no managed
 * policies), its own log group with a retention, and failed async runs sent to a queue.
 */
import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEADLINE_MARGIN_VARIABLE } from '../lambdas/handlers/environment.ts';
import { POWERTOOLS_ENVIRONMENT } from '../lambdas/handlers/telemetry.ts';
import {
  ASYNC_MAX_EVENT_AGE,
  ASYNC_RETRY_ATTEMPTS,
  esbuildTargetOf,
  FUNCTION_MEMORY_MB,
  FUNCTION_TIMEOUT,
  HANDLER_DEADLINE_MARGIN,
  LAMBDA_ARCHITECTURE,
  LAMBDA_LOG_RETENTION,
  LAMBDA_RUNTIME,
  PROJECT_ROOT,
} from './defaults.ts';

/** Lets `require` work inside the ESM bundle, for CommonJS dependencies that call it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Built-in modules the bundles load as `require` returns them instead of through `import`. For an
 * `import`, Node 24 builds an ES module namespace of every export, and reading `node:http`'s
 * exports loads its bundled fetch implementation (undici) for the `WebSocket` and other getters it
 * has: about 15 ms of every cold start, for what neither the SDK nor the export client uses. Each
 * is aliased to a one-line module in lib/bundling that returns `process.getBuiltinModule(...)`.
 */
export const CJS_LOADED_BUILTINS = ['http', 'https'] as const;

/** esbuild's `--alias` values: each of CJS_LOADED_BUILTINS, with and without `node:`, to its shim. */
function builtinAliases(): string[] {
  return CJS_LOADED_BUILTINS.flatMap((name) => {
    const shim = join(PROJECT_ROOT, 'lib', 'bundling', `${name}.cjs`);
    return [`${name}=${shim}`, `node:${name}=${shim}`];
  });
}

/**
 * The esbuild options of every function. Exported so a test can bundle a handler exactly as the
 * stack does and run the output.
 */
export const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: esbuildTargetOf(LAMBDA_RUNTIME),
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // The map is written beside the code (uploaded with it, never loaded): an inline one was two
  // thirds of every bundle, and Node parses it at each cold start only under
  // `--enable-source-maps`, which the functions do not set. To read a minified stack trace,
  // download the function's code and apply `index.mjs.map` to it.
  sourceMap: true,
  sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
  sourcesContent: false,
  // Pin the SDK version that was tested instead of whatever the runtime ships.
  bundleAwsSDK: true,
  forceDockerBundling: false,
  esbuildArgs: { '--alias': builtinAliases() },
};

export interface ReporterFunctionProps {
  /** Handler module, relative to the repository root, e.g. `lambdas/handlers/hourly-export.ts`. */
  readonly entry: string;
  /** Shown in the console; the role's description says it runs this. */
  readonly description: string;
  /** Product settings for the handler (see `lambdaEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Statements the handler needs beyond writing its own logs. */
  readonly statements: readonly iam.PolicyStatement[];
  /** Failed async invocations (after Lambda's retries) are sent here. */
  readonly failureQueue: sqs.IQueue;
  /**
   * @default FUNCTION_TIMEOUT (5 minutes)
   */
  readonly timeout?: Duration;
  /**
   * @default FUNCTION_MEMORY_MB (1024)
   */
  readonly memorySize?: number;
  /**
   * @default LAMBDA_LOG_RETENTION (three months)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retries of a failed async invocation before it goes to the failure queue.
   * @default ASYNC_RETRY_ATTEMPTS (1)
   */
  readonly retryAttempts?: number;
  /**
   * Async events older than this are dropped to the failure queue instead of run.
   * @default ASYNC_MAX_EVENT_AGE (6 hours)
   */
  readonly maxEventAge?: Duration;
}

export class ReporterFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReporterFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? FUNCTION_TIMEOUT;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? LAMBDA_LOG_RETENTION,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group): only this function's own group.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      description: props.description,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      environment: {
        ...props.environment,
        ...POWERTOOLS_ENVIRONMENT,
        [DEADLINE_MARGIN_VARIABLE]: String(HANDLER_DEADLINE_MARGIN.toMilliseconds()),
      },
      bundling: BUNDLING,
      retryAttempts: props.retryAttempts ?? ASYNC_RETRY_ATTEMPTS,
      maxEventAge: props.maxEventAge ?? ASYNC_MAX_EVENT_AGE,
      onFailure: new destinations.SqsDestination(props.failureQueue),
    });
  }
}
