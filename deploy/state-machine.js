'use strict';

/**
 * The state machine's definition as both runtimes run it: state-machines/sluice.asl.json with the `Retry` of every
 * Task state filled in from deploy/retry-policies.js.
 *
 * The hand-written file names a policy only where a Task needs another than the default (`"Retry": "capacity"`);
 * every other Task gets the default one. serverless.yml loads the result as
 * `definition: ${file(deploy/state-machine.js):definition}`, and the local runner (local/runtime/resolve-definition.ts
 * `loadDefinition`) requires this file from the project it runs, so AWS and the local engine retry the same way.
 */

const fs = require('node:fs');
const path = require('node:path');
const { DEFAULT_RETRY_POLICY, RETRY_POLICIES } = require('./retry-policies.js');

const ROOT = path.resolve(__dirname, '..');

/** The hand-written definition, relative to the project root. */
const DEFINITION_FILE = path.join('state-machines', 'sluice.asl.json');

/**
 * A JSON object of the definition: a state machine, a state, a Map's ItemProcessor or a Parallel's branch.
 * @typedef {{ [key: string]: unknown }} JsonObject
 */

/** @typedef {import('./retry-policies.js').Retrier} Retrier */

/**
 * Named policies: each the `Retry` array of the Tasks that use it.
 * @typedef {Readonly<Record<string, readonly Readonly<Retrier>[]>>} Policies
 */

/** A policy name, or a Retry the hand-written file should not have, in the definition: fails the generation. */
class RetryPolicyError extends Error {
  /** @override */
  name = 'RetryPolicyError';
}

/**
 * @param {unknown} value
 * @returns {value is JsonObject}
 */
function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The `Retry` of one Task: a copy of its policy's retriers (each Task owns its array, so nothing downstream that edits
 * the definition can change another Task's retries).
 * @param {string} where the state's path, for the error message
 * @param {unknown} marker the hand-written `Retry`: absent, or a policy name
 * @param {Policies} policies
 * @returns {Retrier[]}
 */
function retryOf(where, marker, policies) {
  const names = Object.keys(policies).join(', ');
  if (marker !== undefined && typeof marker !== 'string') {
    throw new RetryPolicyError(`${where}: "Retry" must name a policy of deploy/retry-policies.js (${names}), not list retriers`);
  }
  const name = marker ?? DEFAULT_RETRY_POLICY;
  const policy = Object.hasOwn(policies, name) ? policies[name] : undefined;
  if (policy === undefined) throw new RetryPolicyError(`${where}: no retry policy "${name}" in deploy/retry-policies.js (${names})`);
  return policy.map((retrier) => ({ ...retrier, ErrorEquals: [...retrier.ErrorEquals] }));
}

/**
 * A Task with its `Retry` filled in. The array takes the marker's place or, when there is none, the place the
 * definition had it when it was written out in full: before `Catch`, or without a Catch before the first of
 * `ResultPath`, `Next` and `End`. Key order means nothing to Step Functions, but the same order gives the same
 * DefinitionString, so the generated template does not change a deployed state machine for nothing.
 * @param {string} where
 * @param {JsonObject} task
 * @param {Policies} policies
 * @returns {JsonObject}
 */
function withRetry(where, task, policies) {
  const retry = retryOf(where, task.Retry, policies);
  if ('Retry' in task) return { ...task, Retry: retry };
  const entries = Object.entries(task);
  const before = 'Catch' in task ? ['Catch'] : ['ResultPath', 'Next', 'End'];
  const at = entries.findIndex(([key]) => before.includes(key));
  entries.splice(at < 0 ? entries.length : at, 0, ['Retry', retry]);
  return Object.fromEntries(entries);
}

/**
 * The states of a state machine (or of a Map's ItemProcessor, or of a Parallel's branch), their Tasks' Retry filled
 * in, at any depth.
 * @template {JsonObject} T
 * @param {T} machine
 * @param {string} where
 * @param {Policies} policies
 * @returns {T}
 */
function withStatesRetried(machine, where, policies) {
  const states = machine.States;
  if (!isObject(states)) throw new RetryPolicyError(`${where}: no States`);
  /** @type {JsonObject} */
  const filled = {};
  for (const [name, state] of Object.entries(states)) {
    const at = `${where}.States.${name}`;
    if (!isObject(state)) throw new RetryPolicyError(`${at}: not an object`);
    if (state.Type !== 'Task' && 'Retry' in state) {
      // Map and Parallel states may retry too; none does, and one that starts to should get its policy here first.
      throw new RetryPolicyError(`${at}: only Task states take a retry policy`);
    }
    let next = state.Type === 'Task' ? withRetry(at, state, policies) : state;
    for (const key of ['ItemProcessor', 'Iterator']) {
      const processor = next[key];
      if (isObject(processor)) next = { ...next, [key]: withStatesRetried(processor, `${at}.${key}`, policies) };
    }
    if (Array.isArray(next.Branches)) {
      const branches = next.Branches.map((branch, i) => {
        if (!isObject(branch)) throw new RetryPolicyError(`${at}.Branches[${i}]: not an object`);
        return withStatesRetried(branch, `${at}.Branches[${i}]`, policies);
      });
      next = { ...next, Branches: branches };
    }
    filled[name] = next;
  }
  return { ...machine, States: filled };
}

/**
 * `definition` with every Task's `Retry` taken from `policies`: the policy the Task names, else the default.
 * Throws RetryPolicyError on a name `policies` lacks, or on a `Retry` written out in full.
 * @param {unknown} definition the hand-written definition
 * @param {Policies} [policies]
 * @returns {JsonObject & { States: JsonObject }}
 */
function applyRetryPolicies(definition, policies = RETRY_POLICIES) {
  if (!isObject(definition)) throw new RetryPolicyError('the state machine definition is not a JSON object');
  const generated = withStatesRetried(definition, '$', policies);
  return /** @type {JsonObject & { States: JsonObject }} */ (generated);
}

/**
 * The generated definition of the project at `root`: its state-machines/sluice.asl.json with the retry policies
 * applied. What serverless.yml deploys and the local runner runs.
 * @param {string} [root]
 */
function stateMachineDefinition(root = ROOT) {
  return applyRetryPolicies(JSON.parse(fs.readFileSync(path.join(root, DEFINITION_FILE), 'utf8')));
}

module.exports = {
  RetryPolicyError,
  applyRetryPolicies,
  stateMachineDefinition,
  /** `stepFunctions.stateMachines.sluice.definition` of serverless.yml. */
  definition: () => stateMachineDefinition(),
};
