'use strict';

/**
 * The scoring state machine's definition as both runtimes run it: state-machines/sluice-score.asl.json with the
 * `Retry` of every Task filled in from deploy/retry-policies.js, exactly as deploy/state-machine.js does for the
 * training workflow. serverless.yml loads `${file(deploy/scoring-state-machine.js):definition}`; the local scoring
 * runner (local/runtime/run-local-scoring.ts) requires this file from the project it runs.
 */

const fs = require('node:fs');
const path = require('node:path');
const { applyRetryPolicies } = require('./state-machine.js');

const ROOT = path.resolve(__dirname, '..');

/** The hand-written scoring definition, relative to the project root. */
const SCORING_DEFINITION_FILE = path.join('state-machines', 'sluice-score.asl.json');

/**
 * The generated scoring definition of the project at `root`.
 * @param {string} [root]
 */
function scoringStateMachineDefinition(root = ROOT) {
  return applyRetryPolicies(JSON.parse(fs.readFileSync(path.join(root, SCORING_DEFINITION_FILE), 'utf8')));
}

module.exports = {
  SCORING_DEFINITION_FILE,
  scoringStateMachineDefinition,
  /** `stepFunctions.stateMachines.score.definition` of serverless.yml. */
  definition: () => scoringStateMachineDefinition(),
};
