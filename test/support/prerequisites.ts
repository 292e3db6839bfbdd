/**
 * The programs some tests start (moto_server, Chromium), looked up before a test starts them, so a
 * machine without one fails at once with what is missing and how to install it, rather than with a
 * bare `spawn ... ENOENT` halfway through a test.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export class MissingPrerequisiteError extends Error {
  override readonly name = 'MissingPrerequisiteError';
}

/**
 * Set by vitest.config.ts in the unit and slow projects, whose tests must run without moto or
 * Chromium (they also run on Node 24 in CI, where neither is installed on purpose).
 */
export const TEST_PROJECT_VARIABLE = 'PEER5_TEST_PROJECT';
const NODE_ONLY_PROJECTS: ReadonlySet<string> = new Set(['unit', 'slow']);

export interface Program {
  /** A command looked up on PATH, or an absolute path. */
  readonly command: string;
  /** What the tests use it for. */
  readonly purpose: string;
  readonly install: string;
}

export const MOTO_SERVER: Program = {
  command: 'moto_server',
  purpose: 'the AWS tests run S3, SES and Secrets Manager in it',
  install: "install it with: pip install 'moto[server]' (Python 3.9 or newer; put pip's bin folder on PATH)",
};

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of `command`, searched on the PATH of `env` unless it is a path itself. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (command.includes('/') || command.includes(path.sep)) {
    return isExecutableFile(command) ? path.resolve(command) : undefined;
  }
  const extensions = process.platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
  for (const folder of (env.PATH ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(folder, `${command}${extension}`);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The program's path, or a MissingPrerequisiteError saying what is missing and how to install it. */
export function requireProgram(program: Program, env: NodeJS.ProcessEnv = process.env): string {
  const project = env[TEST_PROJECT_VARIABLE];
  if (project !== undefined && NODE_ONLY_PROJECTS.has(project)) {
    throw new MissingPrerequisiteError(
      `This test starts ${program.command}, so it is not a ${project} test: add its file to INTEGRATION_TESTS in vitest.config.ts.`,
    );
  }
  const found = findExecutable(program.command, env);
  if (found !== undefined) return found;
  const where = program.command.includes('/') ? program.command : `${program.command} (not on PATH)`;
  throw new MissingPrerequisiteError(
    `${where} is missing, and ${program.purpose}: ${program.install}. See "Developing" in the README.`,
  );
}
