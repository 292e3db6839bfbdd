import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files run at once in every project: one per core. The slow and integration files mostly
 * wait (on a child process, moto, Chromium or a real timeout), so they share the cores well.
 */
const WORKERS = Math.max(1, availableParallelism());

/**
 * Three projects, run in this order by `npm test`:
 * - `unit` (`npm run test:unit`): everything not listed below. In-process and quick, so it runs in
 *   seconds, on both cores, in worker threads (cheaper to start than processes).
 * - `slow` (`npm run test:slow`): the tests that take seconds a file, listed in SLOW_TESTS. They
 *   need nothing but Node either, so they run on Node 24 in CI with the unit tests.
 * - `integration`: the tests that start moto_server or headless Chromium, listed in
 *   INTEGRATION_TESTS. A test file listed in neither place that starts moto or Chromium fails,
 *   saying so.
 * Each runs WORKERS files at once, in workers that keep their modules from file to file.
 */
export const INTEGRATION_TESTS = [
  'test/cli/aws.test.ts',
  'test/cli/fault-matrix.test.ts',
  'test/handlers/overlapping-runs.test.ts',
  'test/handlers/backfill-workflow.test.ts',
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
  'test/lake/curate-s3.test.ts',
  'test/cli/aws-backfill-moto.test.ts',
];

/**
 * The tests that take seconds a file: they start the CLI or another program, synthesize the CDK
 * app, load DuckDB, or push a lot of simulated traffic.
 */
export const SLOW_TESTS = [
  // Start the CLI (or cdk, npm, the simulator's command, a writer to kill) as a child process.
  'test/cdk/cli.test.ts',
  'test/cli/backfill.test.ts',
  'test/cli/build-cli.test.ts',
  'test/cli/cli.test.ts',
  'test/cli/install.test.ts',
  'test/cli/query.test.ts',
  'test/cli/signals.test.ts',
  'test/simulator/command.test.ts',
  'test/adapters/local-lake-sink.test.ts',
  // Synthesize the whole app or stack.
  'test/cdk/app.test.ts',
  'test/cdk/config.test.ts',
  'test/cdk/export-function.test.ts',
  'test/cdk/lake-storage.test.ts',
  'test/cdk/monitoring.test.ts',
  'test/cdk/schedules.test.ts',
  'test/cdk/stack.test.ts',
  'test/cdk/backfill-workflow.test.ts',
  'test/cdk/bundles.test.ts',
  'test/cdk/template-validation.test.ts',
  // Load DuckDB and run SQL over a lake written for the test.
  'test/cli/athena-functions.test.ts',
  'test/cli/athena-rewrite.test.ts',
  'test/cli/athena-sql.test.ts',
  'test/curated/write.test.ts',
  'test/lake/curate.test.ts',
  'test/cdk/curated-catalog.test.ts',
  // The API client against the simulator over HTTP, with real timeouts and backoff.
  'test/adapters/peer5-api/client-simulator.test.ts',
  // The lake's bytes for a simulated range, through the client over HTTP, four times.
  'test/lake/lake-bytes.test.ts',
  // Runs with uploads slowed in real time so that they overlap.
  'test/lake/in-flight.test.ts',
  // Days to weeks of simulated traffic, or a response held open in real time.
  'test/simulator/consistency.test.ts',
  'test/simulator/streaming.test.ts',
  'test/report/simulator.test.ts',
  // Stages an incident and runs the watch over 8 days of simulated hourly windows.
  'test/docs/demo-incident.test.ts',
];

/**
 * One module graph per worker rather than per file, in every project: most of a unit file's time,
 * and about 100 CPU-s of the slow and integration files', was loading the CDK, the SDK, zod and the
 * core again. So that nothing leaks into the next file, variables stubbed with `vi.stubEnv` are put
 * back before each test, those a file sets for longer are put back by it (test/support/
 * process-environment.ts), and the handler tests load each bundle afresh (`importHandler`).
 */
const MODULES_KEPT = { isolate: false, unstubEnvs: true } as const;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The CLI tests run the compiled CLI, as users do: built here when dist/ is missing or stale.
    // The handler tests run the functions' bundles: built here once per change of the sources.
    globalSetup: ['test/support/build-cli.ts', 'test/support/handler-bundles.ts'],
    // - On Node 20 the SDK warns that future releases need Node 22; that notice is for operators
    //   (see "Node.js versions" in the README), not test output.
    // - The CDK's built-in CloudFormation validation runs on every synth, in the test's process and
    //   in every cdk it starts: about 4 CPU-s a process, over half of the CDK tests' CPU time.
    //   test/cdk/template-validation.test.ts switches it back on and checks the stack with it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CDK_VALIDATION: 'false' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...INTEGRATION_TESTS, ...SLOW_TESTS],
          pool: 'threads',
          maxWorkers: WORKERS,
          ...MODULES_KEPT,
          sequence: { groupOrder: 0 },
          // Read by test/support/prerequisites.ts, which refuses to start moto or Chromium here.
          env: { PEER5_TEST_PROJECT: 'unit' },
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: SLOW_TESTS,
          maxWorkers: WORKERS,
          ...MODULES_KEPT,
          sequence: { groupOrder: 1 },
          env: { PEER5_TEST_PROJECT: 'slow' },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION_TESTS,
          maxWorkers: WORKERS,
          ...MODULES_KEPT,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
