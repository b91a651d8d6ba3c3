import Module, { createRequire } from 'node:module';

/**
 * Modules that aws-local-stepfunctions requires at its top but a local run does not call, or calls late: every Task has a local binding
 * (so its Lambda client and credential providers, 0.2 s of loading, are never built), and the definition is validated
 * once per version (local/runtime/validated-machine.ts), so asl-validator (ajv, jsonata: 0.14 s) runs on the first run
 * only. p-limit runs only the engine's own Map and Parallel states, wildcard-match only a Choice rule's `StringMatches`
 * (an untuned churn run uses neither): they load on the first state that does. Its build reads them as
 * `import_client_lambda.LambdaClient`, `import_credential_providers.fromIni`, `(0, import_asl_validator.default)(…)`,
 * `(0, import_p_limit.default)(…)`, `(0, import_wildcard_match.default)(…)` at the time of use
 * (node_modules/aws-local-stepfunctions/build/main.node.cjs).
 */
export const WORKFLOW_ENGINE_UNUSED_MODULES: readonly string[] = ['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator', 'p-limit', 'wildcard-match'];

/**
 * zod's bundle of translated error messages (`z.locales`: 64 of the 95 files `require('zod')` loads, about 20-30 ms of
 * CPU per process here): zod configures its English messages from `../locales/en.cjs` directly, so a program that never
 * calls `z.locales.<lang>()` never needs the bundle. zod's CommonJS build reads it as
 * `exports.locales = __importStar(require("../locales/index.cjs"))`, whose `__importStar` returns a module flagged
 * `__esModule` as it is (node_modules/zod/v4/classic/external.cjs, v4/core/index.cjs): defer it with `{ esModule: true }`.
 */
export const ZOD_UNUSED_MODULES: readonly string[] = ['./v4/locales/index.cjs'];

/** How {@link deferModules} stands in for a module. */
export interface DeferOptions {
  /**
   * The modules are CommonJS output of ES modules, whose exports carry `__esModule: true`: the stand-in answers that
   * flag without loading them, so a TypeScript-style `__importStar(require(…))` keeps the stand-in as the namespace.
   */
  readonly esModule?: boolean;
}

/**
 * Makes `require(specifier)`, as resolved from the package `fromPackage` (a relative specifier: from its entry point), return a stand-in that loads the real module
 * on its first use (a property read, a call), so a program that never uses it never pays its loading. It puts
 * the stand-in in `require.cache` under the module's resolved file ("Adding or replacing entries is also possible":
 * https://nodejs.org/api/modules.html#requirecache); on first use the entry is removed and the real module required
 * (and cached) in its place. A specifier that does not resolve is left alone. Returns the specifiers deferred.
 *
 * Only for modules read the way esbuild's and TypeScript's CommonJS output reads them (members looked up at the time of
 * use, `__toESM`'s `default` getter, `__importStar` with `esModule`): code that lists a module's keys at load would see
 * the stand-in's, none.
 */
export function deferModules(fromPackage: string, specifiers: readonly string[], options: DeferOptions = {}): string[] {
  let packageRequire: NodeJS.Require;
  try {
    packageRequire = createRequire(require.resolve(fromPackage));
  } catch {
    return [];
  }
  const deferred: string[] = [];
  for (const specifier of specifiers) {
    let file: string;
    try {
      file = packageRequire.resolve(specifier);
    } catch {
      continue;
    }
    if (require.cache[file] !== undefined) continue;
    let real: unknown;
    const load = (): object => {
      if (real === undefined) {
        if (require.cache[file] === standIn) delete require.cache[file];
        real = packageRequire(specifier);
      }
      return real as object;
    };
    // A function target, so the stand-in of a module whose export is a function (asl-validator's) can be called; an
    // arrow function, whose own keys (length, name) are configurable, so listing them loads nothing and breaks no
    // Proxy invariant.
    const target = (): void => undefined;
    const exportsProxy = new Proxy(target, {
      get: (_target, key) => (options.esModule === true && key === '__esModule' ? true : Reflect.get(load(), key)),
      has: (_target, key) => (options.esModule === true && key === '__esModule') || Reflect.has(load(), key),
      apply: (_target, self, args: unknown[]) => Reflect.apply(load() as (...a: unknown[]) => unknown, self, args),
    });
    const standIn = new Module(file);
    standIn.filename = file;
    standIn.loaded = true;
    standIn.exports = exportsProxy;
    require.cache[file] = standIn;
    deferred.push(specifier);
  }
  return deferred;
}
