/**
 * Three projects, all run by `npm test`:
 * - `unit`: no network, SDK clients mocked; the quick feedback loop (`npx jest --selectProjects unit`).
 * - `integration`: the whole workflow on the local runtime, real DuckDB and XGBoost, endpoints on 127.0.0.1.
 * - `package`: `osls package` of serverless.yml, then the template and the zips it wrote (slow: it bundles every
 *   function and zips DuckDB).
 */
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];
const shared = {
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // @middy/* ships ESM only: let swc turn it into CommonJS like our own sources.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|hyparquet)/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
module.exports = {
  // Every temporary folder a test run makes lives under one folder that the teardown removes.
  globalSetup: '<rootDir>/test/support/temp-dir-setup.js',
  globalTeardown: '<rootDir>/test/support/temp-dir-teardown.js',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      slowTestThreshold: 30,
      // One timeout for the project, a guard against a hang rather than a speed limit.
      setupFilesAfterEnv: ['<rootDir>/test/integration/hang-guard.ts'],
    },
    { ...shared, displayName: 'package', testMatch: ['<rootDir>/test/package/**/*.test.ts'], slowTestThreshold: 60 },
  ],
};
