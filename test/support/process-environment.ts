/**
 * Variables a test puts into `process.env` for code that reads it itself (a bundled handler's
 * init, middleware that creates its SDK client) and that must outlive one test, so `vi.stubEnv`
 * (undone before each test) cannot hold them. The test file puts them back once it is done: the
 * worker keeps its modules, and its `process.env`, for its next file (vitest.config.ts).
 */

/** What `process.env` held before `setEnvironment` first set each variable. */
const before = new Map<string, string | undefined>();

export function setEnvironment(environment: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(environment)) {
    if (!before.has(name)) before.set(name, process.env[name]);
  }
  Object.assign(process.env, environment);
}

/** Puts back every variable `setEnvironment` set since the last call. */
export function restoreEnvironment(): void {
  for (const [name, value] of before) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  before.clear();
}
