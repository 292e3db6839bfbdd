/**
 * Builds the CDK app: reads the settings from context, adds the stack and the cdk-nag
 * AwsSolutions checks. Shared by `bin/app.ts` and the tests.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from '../lambdas/core/config.ts';
import { Peer5ReporterStack } from './stack.ts';

export const STACK_ID = 'Peer5Reporter';

/**
 * Feature flags the stack relies on, set here rather than only in `cdk.json` so every way of
 * building the app (CLI, tests) synthesizes the same template.
 */
export const FEATURE_FLAGS = {
  // Access logs are delivered through a bucket policy, not the legacy LogDeliveryWrite ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
} as const;

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
  const settings = settingsFromContext((name) => app.node.tryGetContext(name));
  // Environment-agnostic on purpose: synth needs no credentials and no lookups.
  const stack = new Peer5ReporterStack(app, STACK_ID, { settings });
  if (options.checks !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
