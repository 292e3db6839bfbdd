/**
 * Timeouts for the tests that start whole processes. They are generous on purpose: a 2-core CI
 * runner that is also running other test files can take minutes for what takes seconds alone, and
 * these tests check behaviour, not speed (the bench measures speed).
 */

/** A test that starts the CLI many times. */
export const SPAWN_MANY_TIMEOUT_MS = 240_000;

/** A test that runs `cdk synth` as a process, which bundles every function with esbuild. */
export const CDK_SYNTH_TIMEOUT_MS = 240_000;

/**
 * A test that runs a state machine's executions through bundled handlers, each item paced to its
 * share of the API's rate budget: its floor is the budget's pace, and load on the runner adds to it.
 */
export const STATE_MACHINE_RUN_TIMEOUT_MS = 240_000;
