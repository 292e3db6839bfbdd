#!/usr/bin/env node
// The `peer5-reporter` command. The CLI is TypeScript; tsx loads it without a build step, so
// `npx peer5-reporter` works straight from a clone.
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import('./cli.ts');
await runProcess();
