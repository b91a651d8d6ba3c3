/** Types of native-packages.js (plain CommonJS, so that serverless.yml can load it through `${file(...)}`). */

/** A platform as npm's `os`, `cpu` and `libc` package fields name it. */
export interface Platform {
  readonly os: string;
  readonly cpu: string;
  readonly libc: string;
}

/** Lambda x86_64: linux, x64, glibc. */
export declare const LAMBDA_PLATFORM: Platform;

/**
 * The installed folders, relative to `root`, of `names` and of their run-time dependencies on `platform`. Throws
 * when a dependency, or an optional build for `platform` that package-lock.json lists, is not installed.
 */
export declare function nativePackageDirs(names: readonly string[], platform?: Platform, root?: string): string[];

/** `package.patterns` that put those folders in a function's zip, without type declarations. */
export declare function nativePackagePatterns(names: readonly string[], platform?: Platform, root?: string): string[];
