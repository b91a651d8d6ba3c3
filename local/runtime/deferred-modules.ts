import Module, { createRequire } from 'node:module';

/**
 * Modules that aws-local-stepfunctions requires at its top but a local run never calls: every Task has a local binding
 * (so its Lambda client and credential providers, 0.2 s of loading, are never built), and the definition is validated
 * once per version (local/runtime/validated-machine.ts), so asl-validator (ajv, jsonata: 0.14 s) runs on the first run
 * only. Its build reads them as `import_client_lambda.LambdaClient`, `import_credential_providers.fromIni`,
 * `(0, import_asl_validator.default)(…)` at the time of use (node_modules/aws-local-stepfunctions/build/main.node.cjs).
 */
export const WORKFLOW_ENGINE_UNUSED_MODULES: readonly string[] = ['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator'];

/**
 * Makes `require(specifier)`, as resolved from the package `fromPackage`, return a stand-in that loads the real module
 * on its first use (a property read, a call), so a program that never uses it never pays its loading. It puts
 * the stand-in in `require.cache` under the module's resolved file ("Adding or replacing entries is also possible":
 * https://nodejs.org/api/modules.html#requirecache); on first use the entry is removed and the real module required
 * (and cached) in its place. A specifier that does not resolve is left alone. Returns the specifiers deferred.
 *
 * Only for modules read the way esbuild's CommonJS output reads them (members looked up at the time of use, or
 * `__toESM`'s `default` getter): code that lists a module's keys at load would see the stand-in's, none.
 */
export function deferModules(fromPackage: string, specifiers: readonly string[]): string[] {
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
      get: (_target, key) => Reflect.get(load(), key),
      has: (_target, key) => Reflect.has(load(), key),
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
