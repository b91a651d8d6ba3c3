'use strict';

const { rmSync } = require('node:fs');

/** Jest global teardown: removes the run's temporary folder (see temp-dir-setup.js). */
module.exports = async function tearDownTestTempDir() {
  const dir = process.env.SLUICE_TEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
