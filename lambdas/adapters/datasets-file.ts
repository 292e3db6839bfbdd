/**
 * The `datasetsFile` setting: the `datasets` setting kept in a JSON file, because a `-c` value
 * cannot span lines. The file is read where settings are read from a project (`cdk synth`, the
 * CLI's config file), before `parseSettings` checks them; the Lambdas get the datasets themselves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DatasetDefinitionError, parseDatasets } from '../core/datasets.ts';
import { SettingsError } from '../core/settings/errors.ts';

const SETTING = 'datasetsFile';

function fail(message: string): never {
  throw new SettingsError([{ setting: SETTING, message }]);
}

/**
 * `input` with the datasets of its `datasetsFile` (resolved against `baseDir`) as `datasets`.
 * Every error names the setting and the file: a file that is missing or not JSON, a definition
 * that breaks a dataset rule, or a `datasets` setting given as well.
 */
export function withDatasetsFile(
  input: Readonly<Record<string, unknown>>,
  baseDir: string,
): Record<string, unknown> {
  const file = input[SETTING];
  // Not a path at all: the settings schema says so, in its own words.
  if (typeof file !== 'string' || file.trim() === '') return { ...input };
  if (input.datasets !== undefined) {
    fail('excludes the "datasets" setting: give the datasets in one of them');
  }
  const absolute = path.resolve(baseDir, file);
  const named = file === absolute ? absolute : `${file} (${absolute})`;
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    fail(
      code === 'ENOENT'
        ? `${named} does not exist`
        : `${named} cannot be read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let datasets: unknown;
  try {
    datasets = JSON.parse(text) as unknown;
  } catch (error: unknown) {
    fail(`${named} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    // Problems are named inside the file: `datasets.json[1] (by_page_1d).interval: ...`.
    parseDatasets(datasets, file);
  } catch (error: unknown) {
    if (!(error instanceof DatasetDefinitionError)) throw error;
    fail(error.problems);
  }
  return { ...input, datasets };
}
