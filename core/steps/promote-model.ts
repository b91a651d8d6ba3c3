import * as z from 'zod';
import type { DeployDeps } from '../deployment/deployment.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Promotion } from '../run/workflow-state.js';
import { deploymentProgressSchema, evaluationSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, evaluation: evaluationSchema, deployment: deploymentProgressSchema }).passthrough();

/**
 * PromoteModel: the candidate is deployed and answers, so it becomes the production model.
 *
 * 1. Reads `$.run`, `$.evaluation` and `$.deployment`.
 * 2. Approves the candidate in the registry, with the gate's reasons.
 * 3. Deletes the endpoint's models and endpoint configs beyond the spec's `keepVersions`, never the one serving.
 * 4. Returns the version now in production, where it serves and what was deleted, at `$.promotion`.
 */
export async function promoteModel(rawInput: unknown, deps: DeployDeps): Promise<Promotion> {
  const { run, evaluation, deployment } = parseStateInput('PromoteModel', inputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  await deps.registry.decide(evaluation.candidate, 'Approved', evaluation.decision.reasons.join('; '));
  const { deleted } = await deps.hosting.cleanup(deployment.endpointName, spec.deployment?.keepVersions ?? 3);
  return { version: evaluation.candidate.version, endpoint: deployment.address ?? deployment.endpointName, cleanedUp: deleted };
}
