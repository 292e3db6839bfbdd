/**
 * The compiled CLI: `npm ci` (the `prepare` script) bundles `bin/cli.ts` with esbuild into
 * `dist/`, and `bin/peer5-reporter.js` runs that instead of loading TypeScript through tsx, which
 * took most of a second and a hundred megabytes before any command started. The build records
 * which sources went into it, so a source edited since makes it stale, and the launcher then runs
 * the sources through tsx: a clone always runs what it holds. Plain JavaScript, so the launcher can
 * check freshness without a TypeScript loader.
 */
// Paths are joined as strings here, not with node:path or URL: either added 3.5 MB to the
// launcher's peak RSS, which `--help` is measured by.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root, where package.json is, ending in `/`. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The compiled entry point, relative to the package root. */
export const COMPILED_CLI = 'dist/cli.mjs';

/** The sources the build read, and when it started, relative to the package root. */
const BUILD_RECORD = 'dist/cli-build.json';

/**
 * Whether `dist/` under `root` (ending in `/`) holds a build of the sources as they
 * are: it exists, and no source it was built from has changed (or gone) since it started.
 */
export function compiledCliIsFresh(root = PACKAGE_ROOT) {
  try {
    const record = JSON.parse(readFileSync(root + BUILD_RECORD, 'utf8'));
    statSync(root + COMPILED_CLI);
    return record.inputs.every((input) => statSync(root + input).mtimeMs <= record.startedAt);
  } catch (error) {
    // No build, a source gone, or a record cut short: the sources are what runs.
    if (
      error instanceof SyntaxError ||
      (error instanceof Error && 'code' in error && error.code === 'ENOENT')
    )
      return false;
    throw error;
  }
}

/**
 * Builds `dist/` from the sources. Packages stay outside the bundle and load from node_modules
 * when a command needs them (the SDK, DuckDB, the report's PNG and MIME code), except zod, which
 * every command's flags use: one bundled copy loads faster than its hundred files. Code imported
 * with `import()` (the SDK adapters, the simulator, the report, the query engine) goes into chunks
 * of its own that load only then. Written to a folder of its own first and then moved in place, so
 * a CLI started meanwhile sees the old build or the new one, never half of one.
 * Returns false, building nothing, when esbuild is not installed (an install without dev
 * dependencies): the launcher then runs the sources.
 */
export async function buildCli(root = PACKAGE_ROOT) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND') return false;
    throw error;
  }
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  const external = Object.keys({
    ...manifest.dependencies,
    ...manifest.optionalDependencies,
    ...manifest.devDependencies,
  })
    .filter((name) => name !== 'zod')
    .flatMap((name) => [name, `${name}/*`]);
  const startedAt = Date.now();
  const staging = `${root}dist.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: 'bin/cli.ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node the package supports, whichever Node builds it.
    target: `node${manifest.engines.node.replace(/^>=\s*/, '')}`,
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    external,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = [
    'package.json',
    'package-lock.json',
    ...Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules/')),
  ];
  mkdirSync(staging, { recursive: true });
  writeFileSync(`${staging}/cli-build.json`, `${JSON.stringify({ startedAt, inputs }, null, 2)}\n`);
  const dist = `${root}dist`;
  rmSync(dist, { recursive: true, force: true });
  renameSync(staging, dist);
  return true;
}

// `node bin/build-cli.js` (npm's `prepare`).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildCli();
  process.stderr.write(
    built
      ? `peer5-reporter: built ${COMPILED_CLI}\n`
      : 'peer5-reporter: esbuild is not installed, so the CLI runs its TypeScript sources through tsx\n',
  );
}
