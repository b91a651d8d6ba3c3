import type { Logger } from '../log/logger.js';
import type { RunStarter } from '../ports/run-starter.js';
import { parseStateInput } from '../run/state-input.js';
import { objectCreatedEventSchema, uploadExecutionName } from '../trigger/object-created.js';

/** What start-scoring-run needs: a starter bound to the scoring state machine. */
export interface StartScoringRunDeps {
  starter: RunStarter;
  logger: Logger;
}

/** The scoring execution start-scoring-run asked for. */
export interface StartedScoringRun {
  /** `duplicate`: an execution of that name exists already (a duplicated event); nothing new was started. */
  status: 'started' | 'duplicate';
  executionName: string;
  executionArn: string;
}

/**
 * The scoring execution name of a dropped file: `<pipeline>-score-<file>-<hash of bucket, key, version>`, the training
 * upload's naming (core/trigger/object-created.ts), so a duplicated event of the same object version asks for the
 * same name. The pipeline is the folder under `score/`; NormalizeScoringInput checks it, this only names the run.
 */
export function scoringExecutionName(bucket: string, key: string, version: string): string {
  const folder = key.split('/')[1]?.replace(/[^A-Za-z0-9_-]+/g, '_') ?? '';
  return uploadExecutionName(folder === '' ? 'score' : `${folder}-score`, bucket, key, version);
}

/**
 * start-scoring-run: the scoring rule's target (deploy/scoring.js). EventBridge delivers at least once and its Step
 * Functions target cannot name the execution, so a duplicated event would score a file twice; this function starts
 * the scoring state machine itself, under a name derived from the event.
 *
 * 1. Reads the S3 "Object Created" event (InvalidStateInputError when it is not one).
 * 2. Starts the scoring state machine with the event, unchanged, as its input (NormalizeScoringInput reads it), named
 *    by {@link scoringExecutionName} from the bucket, the key and the version id (the ETag in an unversioned bucket).
 * 3. An execution of that name that exists already (ExecutionAlreadyExists, or the same open execution) is a
 *    duplicate: success, nothing started.
 */
export async function startScoringRun(rawEvent: unknown, deps: StartScoringRunDeps): Promise<StartedScoringRun> {
  const event = parseStateInput('StartScoringRun', objectCreatedEventSchema, rawEvent);
  const { bucket, object } = event.detail;
  const executionName = scoringExecutionName(bucket.name, object.key, object['version-id'] ?? object.etag ?? '');
  const outcome = await deps.starter.start(executionName, rawEvent);
  deps.logger.info(outcome.started ? 'scoring run started' : 'duplicate: the scoring run exists already', { executionName, key: object.key });
  return { status: outcome.started ? 'started' : 'duplicate', executionName, executionArn: outcome.executionArn };
}
