import type { TrainingDeps } from '../training/training-job.js';
import { jobStartInputSchema, launchJob } from '../training/training-job.js';
import { parseStateInput } from '../run/state-input.js';
import type { TrainingProgress } from '../run/workflow-state.js';

/**
 * StartTuning: a hyperparameter tuning job over the same training definition as StartTraining.
 *
 * 1. Reads `$.run`, `$.features`, the nonce and the redrive count.
 * 2. Names the job from the run, the nonce and the mode (at most 32 characters, as SageMaker requires).
 * 3. Starts the job with the spec's strategy, objective, ranges, job limits and early stopping, around the training
 *    definition StartTraining would use.
 * 4. Returns the progress at `$.training`, with the objective, its polls bounded by the runtime of all its jobs.
 */
export async function startTuning(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return launchJob('tune', parseStateInput('StartTuning', jobStartInputSchema, rawInput), deps);
}
