'use strict';

/**
 * Builds the ingest task image's context in deploy/ingest-task/.build/: the container entry point
 * (functions/validate-and-partition/container.ts) bundled by esbuild as serverless-esbuild bundles the Lambda
 * functions (node22, CommonJS, minified, DuckDB left out), a package.json that installs @duckdb/node-api at the
 * version this project locks (its linux-x64 binding comes with it as an optional platform package), and the
 * pipeline specs. Then: `docker build -t <repo>:<tag> deploy/ingest-task` (see the Dockerfile and the README's deploy
 * section).
 *
 * Usage: node deploy/ingest-task/build.js
 */

const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(__dirname, '.build');

/** Builds the context; returns the folder. */
async function buildContext() {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'functions', 'validate-and-partition', 'container.ts')],
    outfile: path.join(OUT, 'container.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: ['@duckdb/node-api'],
    logLevel: 'warning',
  });
  const duckdb = /** @type {{ version: string }} */ (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')));
  const manifest = { name: 'sluice-ingest-task', private: true, dependencies: { '@duckdb/node-api': duckdb.version } };
  fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.cpSync(path.join(ROOT, 'pipelines'), path.join(OUT, 'pipelines'), {
    recursive: true,
    // The specs and their SQL, as the Lambda zips carry them (deploy/functions.js SPEC_PATTERNS); no sample data.
    filter: (source) => fs.statSync(source).isDirectory() || /(?:pipeline\.yml|\.sql)$/.test(source),
  });
  return OUT;
}

module.exports = { buildContext };

if (require.main === module) {
  buildContext().then(
    (out) => process.stdout.write(`ingest task context in ${out}\n`),
    (error) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
