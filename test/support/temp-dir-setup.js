'use strict';

const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

/**
 * Jest global setup: one temporary folder for the whole test run. Tests make their lakes, specs and work folders with
 * `os.tmpdir()`; pointing TMPDIR here (workers and the processes tests start inherit it) lets the teardown remove
 * everything a run wrote, whatever a test forgot.
 */
module.exports = async function setUpTestTempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-tests-'));
  process.env.SLUICE_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
