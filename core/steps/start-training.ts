import type { TrainingDeps } from '../training/training-job.js';
import { jobStartInputSchema, launchJob } from '../training/training-job.js';
import { parseStateInput } from '../run/state-input.js';
import type { TrainingProgress } from '../run/workflow-state.js';

/**
 * StartTraining: one SageMaker XGBoost training job on the run's feature sets.
 *
 * 1. Reads `$.run`, `$.features`, the nonce and the redrive count.
 * 2. Names the job from the run, the nonce and the mode: a retried state finds its own job, a redrive starts a new
 *    one, and a run id reused after 90 days never meets an old job's name.
 * 3. Starts the job with the spec's hyperparameters, instance, stopping condition and spot setting, on the train and
 *    validation sets; the model goes under `models/<pipeline>/<job>/output/`.
 * 4. Returns the progress at `$.training`, its polls bounded by the job's maximum runtime plus a margin.
 */
export async function startTraining(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return launchJob('train', parseStateInput('StartTraining', jobStartInputSchema, rawInput), deps);
}
