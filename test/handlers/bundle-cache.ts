/**
 * The functions' bundles, built once by a real `cdk synth` with bundling and kept under
 * node_modules/.cache, keyed by a hash of everything the bundles are built from. Bundling every
 * function took each handler test file seconds of esbuild, for the same bytes each time: the
 * bundles depend on the sources and the lock file, never on the settings a test synthesizes with
 * (those reach a function through its environment, which each test still reads from its own
 * template). Vitest's global setup builds them before the first file runs (test/support/
 * handler-bundles.ts), so no two workers build them at once.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { createApp } from '../../lib/app.ts';
import { PROJECT_ROOT } from '../../lib/defaults.ts';
import { CONTEXT } from '../cdk/synth.ts';

/** What esbuild reads: the handlers and the stack that configures it, and the pinned packages. */
const BUNDLE_INPUTS = ['lambdas', 'lib', 'package-lock.json', 'tsconfig.json'];

const CACHE_ROOT = join(PROJECT_ROOT, 'node_modules', '.cache', 'peer5-reporter', 'handler-bundles');

const MANIFEST = 'bundles.json';

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const input of BUNDLE_INPUTS) {
    const path = join(PROJECT_ROOT, input);
    const files = input.includes('.')
      ? [path]
      : readdirSync(path, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name))
          .sort();
    for (const file of files) {
      hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** The logical id prefix of a function (`HourlyExport`), from its logical id in a template. */
export function functionIdOf(logicalId: string): string {
  return logicalId.replace(/Function[0-9A-F]{8}$/, '');
}

/** Synthesizes the stack with bundling into `outdir` and lists each function's `index.mjs`. */
function bundleInto(outdir: string): Record<string, string> {
  // CONTEXT turns on every optional function; the checks have their own test.
  const { app, stack } = createApp({ context: CONTEXT, outdir, checks: false });
  const artifact = app.synth().getStackByName(stack.stackName);
  const template = artifact.template as {
    Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: string } } }>;
  };
  const assets = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const bundles: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const hash = resource.Properties?.Code?.S3Key?.replace(/\.zip$/, '') ?? '';
    const asset = assets.files[hash];
    if (!asset) throw new Error(`no asset ${hash} for ${logicalId}`);
    bundles[functionIdOf(logicalId)] = join(asset.source.path, 'index.mjs');
  }
  return bundles;
}

/**
 * Each function's bundle (absolute path of its `index.mjs`) by function id, built now if the
 * sources changed since the last build. Older builds are removed.
 */
export function cachedBundles(): ReadonlyMap<string, string> {
  const folder = join(CACHE_ROOT, sourceHash());
  if (!existsSync(join(folder, MANIFEST))) {
    mkdirSync(CACHE_ROOT, { recursive: true });
    for (const stale of readdirSync(CACHE_ROOT))
      rmSync(join(CACHE_ROOT, stale), { recursive: true, force: true });
    // Built aside and renamed into place, so a folder with a manifest is always complete.
    const building = mkdtempSync(join(CACHE_ROOT, '.building-'));
    const bundles = bundleInto(building);
    writeManifest(building, bundles);
    try {
      renameSync(building, folder);
    } catch (error: unknown) {
      // Another process finished the same build first: its copy is as good.
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(join(folder, MANIFEST))) throw error;
    }
  }
  const manifest = JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')) as Record<string, string>;
  return new Map(Object.entries(manifest).map(([id, bundle]) => [id, join(folder, bundle)]));
}

function writeManifest(folder: string, bundles: Record<string, string>): void {
  writeFileSync(join(folder, MANIFEST), `${JSON.stringify(bundles, null, 2)}\n`);
}
