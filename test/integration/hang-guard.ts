/**
 * The integration project's timeout (jest.config.js `setupFilesAfterEnv`): a guard against a hang, not a speed limit.
 * A run that trains and deploys takes what the machine takes, and the tests wait on events, never on the clock, so
 * no file sets a timeout of its own. (Jest 30 reads `testTimeout` from the global config only, not per project.)
 */
jest.setTimeout(600_000);
