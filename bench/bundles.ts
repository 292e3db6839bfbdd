/**
 * Each Lambda function's bundle as `cdk synth` writes it: its bytes, and how long importing it
 * takes (what a cold start pays before the handler runs) as a multiple of `node -e 0`, each the
 * median of IMPORT_RUNS fresh processes. Both run on the Lambda runtime's Node (24), with the
 * function's environment and nothing of the shell's, and nothing preloaded; the memory of an import
 * comes from one more process with the preload. Beside them, the same for a bundle of nothing but
 * the S3 client (bench/s3-client-alone.ts), bundled as the functions are: what any function that
 * reads or writes the lake pays at least; and the same handler with the SDK left out of the bundle
 * and loaded from node_modules, as a function that used the runtime's own SDK would load it.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { createApp } from '../lib/app.ts';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from '../lib/defaults.ts';
import { BUNDLING } from '../lib/reporter-function.ts';
import { node24 } from '../test/support/node24.ts';
import { measureNode, medianBy, type NodeRunOptions, timeNode } from './process.ts';

export interface BundleFigure {
  readonly id: string;
  readonly bytes: number;
  readonly importSeconds: number;
  /** `node -e 0`, measured alternately with the import, so both saw the same load. */
  readonly baselineSeconds: number;
  readonly importPeakRssMb: number;
}

interface FunctionResource {
  readonly Type: string;
  readonly Properties?: {
    readonly Code?: { readonly S3Key?: string };
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/** The environment as deployed, with each reference to another resource replaced by a stand-in name. */
function environmentOf(variables: Record<string, unknown>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { AWS_REGION: 'us-east-1' };
  for (const [name, value] of Object.entries(variables)) {
    env[name] = typeof value === 'string' ? value : `bench-${name.toLowerCase().replaceAll('_', '-')}`;
  }
  return env;
}

/** The least a stack needs to synthesize: who the report is from and to. */
const CONTEXT = { sender: 'Peer5 Reports <reports@example.com>', recipients: 'ops@example.com' };

/**
 * Processes per median. On a base of a few hundredths of a second a busy moment of the machine
 * moves one process's figure by a third or more.
 */
const IMPORT_RUNS = 11;

/** The bundle at `bundle`, imported as the runtime imports a handler, measured against `node -e 0`. */
async function measureImport(
  executable: string,
  { id, bundle, env }: SynthesizedFunction,
): Promise<BundleFigure> {
  const options: NodeRunOptions = { executable, env, onlyEnv: true };
  const importArgs = ['--input-type=module', '-e', `await import("${pathToFileURL(bundle).href}");`];
  const imports: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    baselines.push(await timeNode(['-e', '0'], options));
    imports.push(await timeNode(importArgs, options));
  }
  const { peakRssMb } = await measureNode(importArgs, options);
  return {
    id,
    bytes: statSync(bundle).size,
    importSeconds: medianBy(imports, (seconds) => seconds),
    baselineSeconds: medianBy(baselines, (seconds) => seconds),
    importPeakRssMb: peakRssMb,
  };
}

interface SynthesizedBundles {
  readonly template: { readonly Resources: Record<string, FunctionResource> };
  readonly assets: { readonly files: Record<string, { readonly source: { readonly path: string } }> };
}

interface SynthesizedFunction {
  /** The logical id without its `Function` suffix and hash. */
  readonly id: string;
  readonly bundle: string;
  /** As deployed, with stand-ins for references. */
  readonly env: NodeJS.ProcessEnv;
}

/** Each function of a synthesized stack. */
function functionsOf(outdir: string, { template, assets }: SynthesizedBundles): SynthesizedFunction[] {
  const found: SynthesizedFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const hash = resource.Properties?.Code?.S3Key?.replace(/\.zip$/, '') ?? '';
    const asset = assets.files[hash];
    if (!asset) continue;
    found.push({
      id: logicalId.replace(/Function[0-9A-F]{8}$/, ''),
      bundle: join(outdir, asset.source.path, 'index.mjs'),
      env: environmentOf(resource.Properties?.Environment?.Variables ?? {}),
    });
  }
  return found;
}

/** Synthesizes `app` into `outdir`: the stack's template and where its assets were written. */
function synthesized(outdir: string, app: App, stackName: string): SynthesizedBundles {
  return {
    template: app.synth().getStackByName(stackName).template as SynthesizedBundles['template'],
    assets: JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')),
  };
}

/** The id of the reference bundle of nothing but the S3 client. */
export const S3_CLIENT_ALONE = 'S3ClientAlone';
/** The id of the same handler bundled without the SDK, which it imports from node_modules. */
export const S3_CLIENT_EXTERNAL = 'S3ClientExternal';

/** The repository's node_modules, standing in for the runtime's own copy of the SDK. */
const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));

/**
 * A stack of two functions whose handler only creates an S3 client: one bundled as every function
 * is, one with the SDK left out of the bundle (the runtime would load its own).
 */
function s3ClientAloneApp(outdir: string): { app: App; stackName: string } {
  const app = new App({ outdir });
  const stack = new Stack(app, S3_CLIENT_ALONE);
  const bundlings = {
    [S3_CLIENT_ALONE]: BUNDLING,
    [S3_CLIENT_EXTERNAL]: { ...BUNDLING, bundleAwsSDK: false },
  };
  for (const [id, bundling] of Object.entries(bundlings)) {
    // Named so that its logical id reads as the stack's do (`<id>Function<hash>`).
    new nodejs.NodejsFunction(stack, `${id}Function`, {
      entry: fileURLToPath(new URL('./s3-client-alone.ts', import.meta.url)),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      bundling,
    });
  }
  return { app, stackName: stack.stackName };
}

/** Every function of the stack, then the S3 client alone (S3_CLIENT_ALONE and S3_CLIENT_EXTERNAL, last). */
export async function measureBundles(): Promise<BundleFigure[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'peer5-bench-synth-'));
  const floorOutdir = await mkdtemp(join(tmpdir(), 'peer5-bench-synth-'));
  try {
    const { app, stack } = createApp({ context: CONTEXT, outdir, checks: false });
    const floor = s3ClientAloneApp(floorOutdir);
    const floors = functionsOf(floorOutdir, synthesized(floorOutdir, floor.app, floor.stackName));
    for (const { id, bundle } of floors) {
      if (id === S3_CLIENT_EXTERNAL) await symlink(NODE_MODULES, join(dirname(bundle), 'node_modules'));
    }
    const functions = [...functionsOf(outdir, synthesized(outdir, app, stack.stackName)), ...floors];
    const executable = node24();
    const bundles: BundleFigure[] = [];
    for (const fn of functions) bundles.push(await measureImport(executable, fn));
    return bundles;
  } finally {
    await rm(outdir, { recursive: true, force: true });
    await rm(floorOutdir, { recursive: true, force: true });
  }
}
