import { createHash } from 'node:crypto';

/**
 * SageMaker's limit for training job, model and endpoint configuration names: 63 characters (CreateTrainingJob
 * TrainingJobName, CreateModel ModelName, CreateEndpointConfig EndpointConfigName in the SageMaker API reference).
 */
export const RESOURCE_NAME_MAX = 63;

/**
 * SageMaker's limit for hyperparameter tuning job names: 32 characters, because the name prefixes the names of the
 * training jobs the tuning job launches (CreateHyperParameterTuningJob HyperParameterTuningJobName).
 */
export const TUNING_JOB_NAME_MAX = 32;

/**
 * The characters SageMaker takes in these names, anchored: a letter or digit, then letters and digits with single or
 * repeated hyphens between them, never a hyphen at the end. The API reference writes it
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` (`{0,31}` for tuning jobs; model names `[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?`,
 * the same set); the length is checked apart, against {@link RESOURCE_NAME_MAX} or {@link TUNING_JOB_NAME_MAX}.
 */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/** Hex characters of the SHA-256 kept in a 63-character name: 64 bits. */
const RESOURCE_HASH_CHARS = 16;
/** Hex characters of the SHA-256 kept in a 32-character tuning job name: 48 bits, leaving 19 readable characters. */
const TUNING_HASH_CHARS = 12;

/**
 * The name of a SageMaker training job of a run's step, at most {@link RESOURCE_NAME_MAX} characters.
 *
 * `<readable>-<hash>`: the readable part is the pipeline (or, without one, the run id) and the step, lowercased, with
 * every run of other characters turned into one hyphen and cut to fit; the hash is the SHA-256 of the full run id, the
 * step and the nonce. The same (runId, step, nonce) always gives the same name, so a retried state finds the job it
 * already started; a different run, step or nonce gives a different one.
 *
 * `nonce` must change whenever the same run id may start the step again and stay the same across retries of one state:
 * a redrive keeps the execution name (and so the run id) and reruns the failed states, and Step Functions allows an
 * execution name again 90 days after the first one ended, while SageMaker never lets a training job name be used twice.
 * Pass something like `States.Format('{}#{}', $$.Execution.StartTime, $$.Execution.RedriveCount)`.
 *
 * Names are lowercase: tuning job names are case-insensitive, and keeping every name lowercase means two names never
 * differ by case alone.
 */
export function trainingJobName(runId: string, step: string, nonce: string | number, pipeline?: string): string {
  return sageMakerName(RESOURCE_NAME_MAX, RESOURCE_HASH_CHARS, runId, step, nonce, pipeline);
}

/**
 * The name of a SageMaker hyperparameter tuning job of a run's step, at most {@link TUNING_JOB_NAME_MAX} characters:
 * built like {@link trainingJobName}, with a shorter hash (48 bits) so some of the pipeline stays readable.
 */
export function tuningJobName(runId: string, step: string, nonce: string | number, pipeline?: string): string {
  return sageMakerName(TUNING_JOB_NAME_MAX, TUNING_HASH_CHARS, runId, step, nonce, pipeline);
}

/**
 * The name of another SageMaker resource of a run's step (a model, an endpoint configuration), at most
 * {@link RESOURCE_NAME_MAX} characters: built like {@link trainingJobName}. Use the step to tell resources of one run
 * apart, e.g. `model` and `endpoint-config`.
 */
export function resourceName(runId: string, step: string, nonce: string | number, pipeline?: string): string {
  return sageMakerName(RESOURCE_NAME_MAX, RESOURCE_HASH_CHARS, runId, step, nonce, pipeline);
}

/** Whether `name` is a valid SageMaker name of at most `max` characters (see {@link SAGEMAKER_NAME_PATTERN}). */
export function isSageMakerName(name: string, max: number): boolean {
  return name.length >= 1 && name.length <= max && SAGEMAKER_NAME_PATTERN.test(name);
}

function sageMakerName(
  max: number,
  hashChars: number,
  runId: string,
  step: string,
  nonce: string | number,
  pipeline: string | undefined,
): string {
  // JSON keeps the parts apart: ('a-b', 'c') and ('a', 'b-c') never hash alike.
  const hash = createHash('sha256')
    .update(JSON.stringify([runId, step, String(nonce)]), 'utf8')
    .digest('hex')
    .slice(0, hashChars);
  const room = max - hashChars - 1;
  const stepPart = fit(slug(step), room);
  // The step is kept whole when it fits; the pipeline (or run id) gives way first.
  const headRoom = stepPart ? room - stepPart.length - 1 : room;
  const head = headRoom > 0 ? fit(slug(pipeline ?? runId), headRoom) : '';
  const readable = [head, stepPart].filter((part) => part !== '').join('-');
  return readable ? `${readable}-${hash}` : hash;
}

/** Lowercase letters and digits, every run of anything else one hyphen, no hyphen at either end. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function fit(text: string, length: number): string {
  return text.slice(0, Math.max(0, length)).replace(/-+$/, '');
}
