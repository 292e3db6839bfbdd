#!/usr/bin/env node
/**
 * `cdk synth` / `cdk deploy` entry point. Settings come from `cdk.json` context or `-c key=value`.
 */
import { SettingsError } from '../lambdas/core/settings/errors.ts';
import { createApp } from '../lib/app.ts';

try {
  createApp().app.synth();
} catch (error: unknown) {
  if (error instanceof SettingsError) {
    // A bad setting is the operator's input, not a bug: name it without a stack trace.
    console.error(`${error.message}\n\nSee "Settings" in README.md for every setting and its rules.`);
    process.exit(1);
  }
  throw error;
}
