/**
 * Starting a worker thread (or a child Node process) on one of our modules, whether the code runs compiled
 * (`dist/**.js`: the `.js` file next to this one) or from TypeScript sources (jest, tsx: there is no `.js` file,
 * so the worker first installs a small `require` hook that transpiles `.ts` with the `typescript` devDependency and
 * maps the `./x.js` import specifiers to `./x.ts`).
 *
 * Why `typescript` and not `@swc/core` (faster, and what jest uses): swc is a native addon, and loading it in a
 * worker thread that is later terminated crashed the process (SIGSEGV in the swc addon's leftover thread, seen
 * under tsx). The TypeScript compiler is plain JavaScript, so nothing native is left behind when a worker ends.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { join } from 'node:path';

/** Whether this module runs from TypeScript sources rather than compiled JavaScript. */
export const RUNNING_FROM_TYPESCRIPT = __filename.endsWith('.ts');

/** The path of a sibling module `name` of this folder, with the extension this code runs with. */
export function siblingModule(name: string): string {
  return join(__dirname, `${name}${RUNNING_FROM_TYPESCRIPT ? '.ts' : '.js'}`);
}

/**
 * JavaScript that makes `require()` load `.ts` files (transpiled by `typescript`, resolved from this project)
 * unless something (tsx, ts-node) already does. Prepend it to code run by `node -e` or an eval worker.
 */
export function typescriptRequireHook(): string {
  const typescriptPath = require.resolve('typescript');
  return `
(() => {
  const Module = require('node:module');
  if (Module._extensions['.ts']) return;
  const fs = require('node:fs');
  let ts;
  Module._extensions['.ts'] = (module, filename) => {
    ts ??= require(${JSON.stringify(typescriptPath)});
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        inlineSourceMap: true,
        inlineSources: true,
      },
    });
    module._compile(outputText, filename);
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    try {
      return resolve.call(this, request, parent, ...rest);
    } catch (error) {
      if (request.endsWith('.js') && parent && typeof parent.filename === 'string' && parent.filename.endsWith('.ts')) {
        return resolve.call(this, request.slice(0, -3) + '.ts', parent, ...rest);
      }
      throw error;
    }
  };
})();
`;
}

/** Starts a worker thread running module `file` (`.js`, or `.ts` through {@link typescriptRequireHook}). */
export function startModuleWorker(file: string, options: WorkerOptions = {}): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, options);
  const code = `${typescriptRequireHook()}\nrequire(${JSON.stringify(file)});\n`;
  return new Worker(code, { ...options, eval: true });
}
