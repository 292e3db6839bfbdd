/**
 * Builds the CDK app: reads the settings from context, adds the stack and the cdk-nag
 * AwsSolutions checks. Shared by `bin/app.ts` and the tests.
 */
import { Annotations, App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { withDatasetsFile } from '../lambdas/adapters/datasets-file.ts';
import { SETTING_NAMES, type Settings } from '../lambdas/core/config.ts';
import { type SettingProblem, SettingsError } from '../lambdas/core/settings/errors.ts';
import { parseSettings, settingLike, settingsInputFromContext } from '../lambdas/core/settings/parse.ts';
import { BACKFILL_WORKFLOW } from '../lambdas/handlers/environment.ts';
import { PROJECT_ROOT } from './defaults.ts';
import { Peer5ReporterStack } from './stack.ts';

export const STACK_ID = BACKFILL_WORKFLOW.stackName;

/**
 * Feature flags the stack relies on, set here rather than only in `cdk.json` so every way of
 * building the app (CLI, tests) synthesizes the same template.
 */
export const FEATURE_FLAGS = {
  // Access logs are delivered through a bucket policy, not the legacy LogDeliveryWrite ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // The Backfill state machine's Distributed Map writes its results with ResultWriterV2.
  '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
} as const;

/**
 * Context keys the CDK CLI itself writes to `cdk.json` or `cdk.context.json` (`cdk acknowledge`,
 * `cdk cli-telemetry`, `cdk migrate`). Its other keys (`aws:cdk:*`, feature flags such as
 * `@aws-cdk/core:...`, lookup results such as `availability-zones:account=...`) start with `@` or
 * contain a `:`.
 */
export const CDK_CONTEXT_KEYS: readonly string[] = [
  'acknowledged-issue-numbers',
  'cli-telemetry',
  'cdk-migrate',
];

function isCdkContextKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || CDK_CONTEXT_KEYS.includes(key);
}

/** Context keys that are neither a setting nor the CDK's own, split by whether they look like a setting. */
export function strayContextKeys(context: Readonly<Record<string, unknown>>): {
  readonly misspelt: readonly SettingProblem[];
  readonly unknown: readonly string[];
} {
  const misspelt: SettingProblem[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(context)) {
    if ((SETTING_NAMES as readonly string[]).includes(key) || isCdkContextKey(key)) continue;
    const meant = settingLike(key);
    if (meant === undefined) unknown.push(key);
    else misspelt.push({ setting: key, message: `did you mean "${meant}"?`, unknown: true });
  }
  return { misspelt, unknown };
}

/**
 * The settings in the app's context. A key that looks like a misspelt setting fails the synth
 * (otherwise the setting would silently keep its default), together with any invalid setting.
 */
function readSettings(app: App, projectDir: string): { settings: Settings; unknown: readonly string[] } {
  const { misspelt, unknown } = strayContextKeys(app.node.getAllContext() as Record<string, unknown>);
  let settings: Settings;
  try {
    const input = settingsInputFromContext((name) => app.node.tryGetContext(name));
    settings = parseSettings(withDatasetsFile(input, projectDir));
  } catch (error: unknown) {
    if (error instanceof SettingsError && misspelt.length > 0) {
      throw new SettingsError([...misspelt, ...error.problems]);
    }
    throw error;
  }
  if (misspelt.length > 0) throw new SettingsError(misspelt);
  return { settings, unknown };
}

export interface CreateAppOptions {
  /** Context values, as `cdk.json` or `-c key=value` would give them. */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly folder. @default - a temporary folder (CDK's default outside the CLI) */
  readonly outdir?: string;
  /**
   * Bundle the Lambda code. Template-only tests turn it off to stay fast.
   * @default true
   */
  readonly bundle?: boolean;
  /**
   * Run the cdk-nag AwsSolutions checks on synth.
   * @default true
   */
  readonly checks?: boolean;
  /**
   * The folder a relative `datasetsFile` is read from.
   * @default PROJECT_ROOT (where cdk.json is)
   */
  readonly projectDir?: string;
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: Peer5ReporterStack } {
  const props: AppProps = {
    context: {
      ...FEATURE_FLAGS,
      ...options.context,
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  };
  const app = new App(props);
  const { settings, unknown } = readSettings(app, options.projectDir ?? PROJECT_ROOT);
  // Environment-agnostic on purpose: synth needs no credentials and no lookups.
  const stack = new Peer5ReporterStack(app, STACK_ID, { settings });
  for (const key of unknown) {
    Annotations.of(stack).addWarningV2(
      'peer5-reporter:unknown-context-key',
      `Context key "${key}" is not a peer5-reporter setting and is ignored. See "Settings" in README.md.`,
    );
  }
  if (options.checks !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
