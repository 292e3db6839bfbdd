/**
 * The README's "Where things are" map, checked against the code: every import of every source file
 * must be one its folder's row allows. The map is read from the README itself, so the table a
 * newcomer reads is the rule the code keeps.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeFiles, REPOSITORY_ROOT } from '../support/source-files.ts';

const MAP_START = '<!-- where-things-are:start';
const MAP_END = '<!-- where-things-are:end -->';

/** One row of the map: a folder and what its files may import. */
interface FolderRule {
  /** `lambdas/core/`, always with its trailing slash. */
  readonly folder: string;
  /** Paths: `dir/` (the folder and below), `dir/*.ts` (only its own files) or `file.ts`. */
  readonly mayImport: readonly string[];
  readonly anything: boolean;
  /** Package names (`zod`, `node:zlib`, `node:*`); empty with `anyPackage`. */
  readonly packages: readonly string[];
  readonly anyPackage: boolean;
}

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
}

/** Reads the map between its markers in the README, refusing a row it cannot read. */
function parseFolderMap(readme: string): FolderRule[] {
  const start = readme.indexOf(MAP_START);
  const end = readme.indexOf(MAP_END);
  if (start < 0 || end < start) throw new Error(`README has no map between ${MAP_START} and ${MAP_END}`);
  const lines = readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
  const cells = (line: string): string[] =>
    line
      .slice(1, line.lastIndexOf('|'))
      .split('|')
      .map((cell) => cell.trim());
  const header = cells(lines[0] ?? '');
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`the map has no "${name}" column (columns: ${header.join(', ')})`);
    return index;
  };
  const [folderAt, importAt, packagesAt] = [column('folder'), column('may import'), column('packages')];
  return lines.slice(2).map((line) => {
    const row = cells(line);
    const [folder] = codeSpans(row[folderAt] ?? '');
    if (folder === undefined || !folder.endsWith('/')) {
      throw new Error(`map row ${JSON.stringify(line)}: the folder must be one \`path/\``);
    }
    const imports = row[importAt] ?? '';
    const packages = row[packagesAt] ?? '';
    return {
      folder,
      mayImport: codeSpans(imports),
      anything: imports === 'anything',
      packages: codeSpans(packages),
      anyPackage: packages === 'any',
    };
  });
}

/** The row a file belongs to: the most specific folder that holds it. */
function ruleOf(rules: readonly FolderRule[], file: string): FolderRule | undefined {
  return rules
    .filter((rule) => file.startsWith(rule.folder))
    .sort((a, b) => b.folder.length - a.folder.length)[0];
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function pathAllowed(entry: string, target: string): boolean {
  if (entry.endsWith('/')) return target.startsWith(entry);
  if (entry.endsWith('/*.ts')) {
    const folder = entry.slice(0, -'*.ts'.length);
    return target.startsWith(folder) && !target.slice(folder.length).includes('/');
  }
  return target === entry;
}

interface ImportOf {
  /** As written; null for an `import()` of something other than a string literal. */
  readonly specifier: string | null;
  readonly line: number;
}

/** `import(` followed by anything but a string: a module name computed at run time. */
const COMPUTED_IMPORT = /\bimport\s*\(\s*(?!['"`)])/g;

/**
 * Every `import`, `export ... from`, `import()` and `import('...')` type in a file, read with the
 * TypeScript compiler's own import scanner (which skips comments and strings, and is far faster
 * than a full parse). A computed `import(name)` is found apart, by its shape.
 */
function importsOf(text: string): ImportOf[] {
  const lineOf = (position: number): number => text.slice(0, position).split('\n').length;
  const named = ts
    .preProcessFile(text, true, true)
    .importedFiles.map((file) => ({ specifier: file.fileName, line: lineOf(file.pos) }));
  const computed = [...text.matchAll(COMPUTED_IMPORT)].map((match) => ({
    specifier: null,
    line: lineOf(match.index),
  }));
  return [...named, ...computed].sort((a, b) => a.line - b.line);
}

/** Why an import breaks the map, or null when the file's row allows it. */
function breach(rules: readonly FolderRule[], file: string, specifier: string | null): string | null {
  const rule = ruleOf(rules, file);
  if (rule === undefined) return `${file} is in no folder of the map`;
  if (rule.anything) return null;
  const paths = ['its own folder', ...rule.mayImport].join(', ');
  const packages = rule.anyPackage ? 'any package' : rule.packages.join(', ') || 'no package';
  const allowed = `the map lets ${rule.folder} import ${paths}; and ${packages}`;
  if (specifier === null) return `an import() of a computed name cannot be checked against the map`;
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    if (ruleOf(rules, target) === rule) return null;
    if (rule.mayImport.some((entry) => pathAllowed(entry, target))) return null;
    return `${target} is not allowed: ${allowed}`;
  }
  if (rule.anyPackage) return null;
  const name = packageOf(specifier);
  const builtin = name.startsWith('node:');
  if (rule.packages.some((entry) => entry === name || (builtin && entry === 'node:*'))) return null;
  return `the package ${name} is not allowed: ${allowed}`;
}

const readme = readFileSync(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8');
const rules = parseFolderMap(readme);
const files = codeFiles();

describe('the README map of where things are', () => {
  it('lists real folders, and every path a row allows exists', () => {
    const missing = rules
      .flatMap((rule) => [rule.folder, ...rule.mayImport])
      .map((entry) => entry.replace(/\*\.ts$/, ''))
      .filter((entry) => !files.some((file) => file === entry || file.startsWith(entry)));
    expect(missing).toEqual([]);
  });

  it('keeps the core free of adapters, handlers, the CLI, the constructs and I/O', () => {
    const core = rules.filter((rule) => rule.folder.startsWith('lambdas/core/'));
    expect(core.map((rule) => rule.folder)).toContain('lambdas/core/');
    for (const rule of core) {
      const file = `${rule.folder}any.ts`;
      for (const target of [
        '../adapters/s3-lake-sink.ts',
        '../handlers/environment.ts',
        '../../bin/cli/options.ts',
        '../../lib/stack.ts',
        'node:fs',
        'node:net',
        '@aws-sdk/client-s3',
      ]) {
        const specifier = target.startsWith('.')
          ? `${'../'.repeat(file.split('/').length - 3)}${target}`
          : target;
        expect(breach(rules, file, specifier), `${rule.folder} importing ${target}`).not.toBeNull();
      }
    }
  });

  it('lets lib/ read the handlers only for the settings and metric names of each function', () => {
    expect(breach(rules, 'lib/stack.ts', '../lambdas/handlers/environment.ts')).toBeNull();
    expect(breach(rules, 'lib/stack.ts', '../lambdas/handlers/middleware.ts')).toMatch(
      /lambdas\/handlers\/middleware\.ts is not allowed: the map lets lib\/ import/,
    );
  });

  it('reads the imports a file can make, dynamic ones included', () => {
    const text = [
      "import a from 'zod';",
      "import type { B } from './b.ts';",
      "export { c } from '../c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "type F = import('./f.ts').F;",
      'const g = await import(name);',
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { specifier: 'zod', line: 1 },
      { specifier: './b.ts', line: 2 },
      { specifier: '../c.ts', line: 3 },
      { specifier: './d.ts', line: 4 },
      { specifier: './e.ts', line: 5 },
      { specifier: './f.ts', line: 6 },
      { specifier: null, line: 7 },
    ]);
    expect(breach(rules, 'simulator/x.ts', null)).toMatch(/cannot be checked/);
  });

  it('holds for every import of every source file', () => {
    expect(files.length).toBeGreaterThan(100);
    const broken = files.flatMap((file) =>
      importsOf(readFileSync(path.join(REPOSITORY_ROOT, file), 'utf8')).flatMap(({ specifier, line }) => {
        const problem = breach(rules, file, specifier);
        return problem === null
          ? []
          : [`${file}:${line} imports ${specifier ?? '(a computed name)'}: ${problem}`];
      }),
    );
    expect(broken).toEqual([]);
  });
});
