/** Types of `build-cli.js`, which is JavaScript so the launcher can run it without a loader. */
/** Ends in `/`. */
export declare const PACKAGE_ROOT: string;
export declare const COMPILED_CLI: string;
export declare function compiledCliIsFresh(root?: string): boolean;
export declare function buildCli(root?: string): Promise<boolean>;
export declare function prepareCli(options?: {
  readonly root?: string;
  readonly force?: boolean;
}): Promise<'fresh' | 'built' | 'no-esbuild'>;
