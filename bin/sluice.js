#!/usr/bin/env node
'use strict';
// The `sluice` command. The TypeScript sources are compiled to dist/ by `npm run build` (run by `npm run setup`).
const path = require('node:path');
// Node >= 22.1 keeps V8's compiled code of each module on disk (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE)
// so later starts skip compiling, and never throws (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir).
// Node 20 has no such API: there this does nothing.
const nodeModule = require('node:module');
if (typeof nodeModule.enableCompileCache === 'function') nodeModule.enableCompileCache();
const dist = path.join(__dirname, '..', 'dist');
const entry = path.join(dist, 'local', 'cli', 'main.js');
let cli;
try {
  // Before anything loads the workflow engine or zod: the modules they require but a local run does not call load on
  // first use.
  const deferred = require(path.join(dist, 'local', 'runtime', 'deferred-modules.js'));
  deferred.deferModules('aws-local-stepfunctions', deferred.WORKFLOW_ENGINE_UNUSED_MODULES);
  deferred.deferModules('zod', deferred.ZOD_UNUSED_MODULES, { esModule: true });
  cli = require(entry);
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).split('\n')[0].includes(dist)) {
    process.stderr.write('sluice: not built yet. Run `npm run setup` (or `npm run build`) in the Sluice folder first.\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
