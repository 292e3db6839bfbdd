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

/**
 * The sources the build read, relative to the package root, each with its modification time as
 * it was when the build read it.
 */
const BUILD_RECORD = 'dist/cli-build.json';

/**
 * Whether `dist/` under `root` (ending in `/`) holds a build of the sources as they are: it
 * exists, and every source it was built from is still there with the modification time it had
 * when the build read it. Times are compared for equality, not against the clock, so a clock that
 * moved back since the checkout cannot make a build look stale, nor an edit look old.
 */
export function compiledCliIsFresh(root = PACKAGE_ROOT) {
  try {
    const record = JSON.parse(readFileSync(root + BUILD_RECORD, 'utf8'));
    statSync(root + COMPILED_CLI);
    // A record from an older build, or none: stale.
    if (typeof record?.inputs !== 'object' || record.inputs === null || Array.isArray(record.inputs))
      return false;
    return Object.entries(record.inputs).every(
      ([input, mtimeMs]) => statSync(root + input).mtimeMs === mtimeMs,
    );
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

/** esbuild's loader for each source extension the CLI imports. */
const LOADERS = { '.ts': 'ts', '.js': 'js', '.mjs': 'js', '.json': 'json' };

/**
 * An esbuild plugin that reads the project's own sources itself, noting each one's modification
 * time just before reading it: a file edited while the build runs then has a newer time than the
 * one noted, and the build is stale at once, where a time taken after the build would hide it.
 */
function noteModificationTimes(root, noted) {
  return {
    name: 'note-modification-times',
    setup(build) {
      build.onLoad({ filter: /\.(?:ts|js|mjs|json)$/ }, (args) => {
        if (!args.path.startsWith(root) || args.path.includes('/node_modules/')) return undefined;
        const { mtimeMs } = statSync(args.path);
        const contents = readFileSync(args.path);
        noted.set(args.path.slice(root.length), mtimeMs);
        return { contents, loader: LOADERS[args.path.slice(args.path.lastIndexOf('.'))] };
      });
    },
  };
}

/**
 * Builds `dist/` from the sources. Packages stay outside the bundle and load from node_modules
 * when a command needs them (the SDK, DuckDB, the report's PNG and MIME code), except zod, which
 * every command's flags use: one bundled copy loads faster than its hundred files. Code imported
 * with `import()` (the SDK adapters, the simulator, the report, the query engine) goes into chunks
 * of its own that load only then. Written to a folder of its own first and then swapped in with
 * two renames, so a CLI started meanwhile sees the old build or the new one, never half of one (or,
 * in the instant between the renames, none, and runs the sources).
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
  const noted = new Map();
  for (const manifestFile of ['package.json', 'package-lock.json']) {
    noted.set(manifestFile, statSync(root + manifestFile).mtimeMs);
  }
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  const external = Object.keys({
    ...manifest.dependencies,
    ...manifest.optionalDependencies,
    ...manifest.devDependencies,
  })
    .filter((name) => name !== 'zod')
    .flatMap((name) => [name, `${name}/*`]);
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
    plugins: [noteModificationTimes(root, noted)],
    metafile: true,
    logLevel: 'error',
  });
  // Any source esbuild read without the plugin (another extension) is noted as it is now.
  for (const input of Object.keys(result.metafile.inputs)) {
    if (!input.includes('node_modules/') && !noted.has(input))
      noted.set(input, statSync(root + input).mtimeMs);
  }
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    `${staging}/cli-build.json`,
    `${JSON.stringify({ inputs: Object.fromEntries(noted) }, null, 2)}\n`,
  );
  const dist = `${root}dist`;
  const previous = `${root}dist.previous-${process.pid}`;
  rmSync(previous, { recursive: true, force: true });
  try {
    renameSync(dist, previous);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  renameSync(staging, dist);
  rmSync(previous, { recursive: true, force: true });
  return true;
}

/**
 * What `npm ci` and `npm link` run (the `prepare` script): builds `dist/` unless it is already a
 * build of the sources as they are, or always with `force` (`npm run build`). `npm link` runs
 * `prepare` too, and rebuilding a fresh build there only swapped `dist/` under CLIs already running.
 * @returns `fresh` when nothing was built, `built`, or `no-esbuild` (see {@link buildCli}).
 */
export async function prepareCli({ root = PACKAGE_ROOT, force = false } = {}) {
  if (!force && compiledCliIsFresh(root)) return 'fresh';
  return (await buildCli(root)) ? 'built' : 'no-esbuild';
}

const PREPARE_MESSAGES = {
  fresh: `peer5-reporter: ${COMPILED_CLI} is a build of the sources as they are; nothing to build (npm run build rebuilds it)\n`,
  built: `peer5-reporter: built ${COMPILED_CLI}\n`,
  'no-esbuild':
    'peer5-reporter: esbuild is not installed, so the CLI runs its TypeScript sources through tsx\n',
};

// `node bin/build-cli.js` (npm's `prepare`), or with `--force` (`npm run build`).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outcome = await prepareCli({ force: process.argv.includes('--force') });
  process.stderr.write(PREPARE_MESSAGES[outcome]);
}
