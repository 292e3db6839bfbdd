/**
 * Each Lambda function's bundle as `cdk synth` writes it: its bytes, and how long importing it
 * takes (what a cold start pays before the handler runs) as a multiple of `node -e 0`, each the
 * median of IMPORT_RUNS fresh processes.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from '../lib/app.ts';
import { type Measured, measureNode, medianBySeconds } from './process.ts';

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
 * Processes per median. On a 0.1 s base a busy moment of the machine moves a figure by a tenth or
 * more: with three, one bundle's ratio moved from 1.1 to 2.5 between two runs of the bench.
 */
const IMPORT_RUNS = 7;

/** The median of IMPORT_RUNS imports and of as many `node -e 0`, run in turns. */
async function importAndBaseline(
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<{ imported: Measured; baseline: Measured }> {
  const imports: Measured[] = [];
  const baselines: Measured[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    baselines.push(await measureNode(['-e', '0']));
    imports.push(await measureNode(['--input-type=module', '-e', `await import("${url}");`], { env }));
  }
  return { imported: medianBySeconds(imports), baseline: medianBySeconds(baselines) };
}

export async function measureBundles(): Promise<BundleFigure[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'peer5-bench-synth-'));
  try {
    const { app, stack } = createApp({ context: CONTEXT, outdir, checks: false });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, FunctionResource>;
    };
    const assets = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const bundles: BundleFigure[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const hash = resource.Properties?.Code?.S3Key?.replace(/\.zip$/, '') ?? '';
      const asset = assets.files[hash];
      if (!asset) continue;
      const bundle = join(outdir, asset.source.path, 'index.mjs');
      const url = pathToFileURL(bundle).href;
      const env = environmentOf(resource.Properties?.Environment?.Variables ?? {});
      const { imported, baseline } = await importAndBaseline(url, env);
      bundles.push({
        id: logicalId.replace(/Function[0-9A-F]{8}$/, ''),
        bytes: statSync(bundle).size,
        importSeconds: imported.seconds,
        baselineSeconds: baseline.seconds,
        importPeakRssMb: imported.peakRssMb,
      });
    }
    return bundles;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
