#!/usr/bin/env node
'use strict';
// The `sluice` command. The TypeScript sources are compiled to dist/ by `npm run build` (run by `npm run setup`).
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'local', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(entry)) {
    process.stderr.write('sluice: not built yet. Run `npm run setup` (or `npm run build`) in the Sluice folder first.\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
