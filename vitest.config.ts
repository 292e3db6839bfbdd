import { defineConfig } from 'vitest/config';

/**
 * The tests that start moto_server or headless Chromium. Everything else is the unit suite
 * (`npm run test:unit`), which needs nothing but Node and also runs on Node 24 in CI. A test file
 * listed in neither place that starts moto or Chromium fails in the unit project, saying so.
 */
export const INTEGRATION_TESTS = [
  'test/cli/aws.test.ts',
  'test/cli/fault-matrix.test.ts',
  'test/handlers/overlapping-runs.test.ts',
  'test/handlers/offload-watch.test.ts',
  'test/adapters/s3-run-lease.test.ts',
  'test/adapters/s3-lifecycle.test.ts',
  'test/docs/screenshot.test.ts',
  'test/handlers/api-token.test.ts',
  'test/handlers/simulated-day.test.ts',
  'test/lake/run.test.ts',
  'test/adapters/s3-lake-sink.test.ts',
  'test/report/preview.test.ts',
  'test/adapters/ses-mailer.test.ts',
  'test/support/moto.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // On Node 20 the SDK warns that future releases need Node 22; that notice is for operators
    // (see "Node.js versions" in the README), not test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION_TESTS,
          // Read by test/support/prerequisites.ts, which refuses to start moto or Chromium here.
          env: { PEER5_TEST_PROJECT: 'unit' },
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION_TESTS } },
    ],
  },
});
