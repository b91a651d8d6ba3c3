import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { uploadRunInput } from '../../core/steps/start-run.js';
import { MAX_OBJECTS_PER_RUN, runsOfBatch } from '../../core/trigger/coalescing.js';
import type { BatchOutcome, BatchRunner, DropBatch } from './drop-zone-watcher.js';
import type { JSONValue } from './local-bindings.js';
import { LOCAL_LAKE_BUCKET } from './local-names.js';
import { withLakeLock } from './pipeline-lock.js';
import type { RunSummary } from './run-local.js';
import type { ScoringSummary } from './run-local-scoring.js';
import { runLocal, timeBasedExecutionName } from './run-local.js';
import type { StepRecord } from './step-tracker.js';

/** What the watcher's training runs need. */
export interface LocalIngestRunnerOptions {
  projectRoot: string;
  specs: SpecCatalog;
  lakeRoot: string;
  /** Every run's summary, as it ends (the command prints it; a test reads it). */
  onSummary?: (summary: RunSummary) => void;
  onStep?: (step: StepRecord) => void;
}

/**
 * A pipeline's runs are serialized across processes too (two watchers, or a watcher and a redrive, on one lake): a
 * run waits for the one before it however long that trains.
 */
const RUN_LOCK_TIMEOUT_MS = 24 * 60 * 60 * 1_000;

/** The lock a pipeline's watched runs take, one after another: `<lake>/.locks/watched-runs-<pipeline>.lock`. */
export const watchedRunsLock = (pipeline: string): string => `watched-runs-${pipeline}`;

/**
 * Runs a watched batch of `incoming/` as start-run does in the cloud: the same execution input (core/steps/start-run.ts
 * uploadRunInput: an upload of one object, or of the batch's objects), at most MAX_OBJECTS_PER_RUN objects a run, the
 * runs of one pipeline one after another. Names are time-based, as `sluice run` names them: locally the same files may
 * be dropped again after their run archived them, and each drop is a run of its own.
 */
export function localIngestRunner(options: LocalIngestRunnerOptions): BatchRunner {
  return async (batch: DropBatch): Promise<BatchOutcome> => {
    const spec = options.specs.get(batch.pipeline);
    const summaries: RunSummary[] = [];
    const objects = batch.keys.map((key) => ({ bucket: LOCAL_LAKE_BUCKET, key }));
    for (const run of runsOfBatch(objects, MAX_OBJECTS_PER_RUN)) {
      const executionName = timeBasedExecutionName(spec.name);
      const summary = await withLakeLock(
        options.lakeRoot,
        watchedRunsLock(spec.name),
        `run ${executionName} of ${run.length} watched file(s)`,
        () =>
          runLocal({
            projectRoot: options.projectRoot,
            spec,
            specs: options.specs,
            lakeRoot: options.lakeRoot,
            input: uploadRunInput(spec.name, run).input as JSONValue,
            executionName,
            ...(options.onStep ? { onStep: options.onStep } : {}),
          }),
        { timeoutMs: RUN_LOCK_TIMEOUT_MS },
      );
      options.onSummary?.(summary);
      summaries.push(summary);
    }
    return outcomeOf(summaries);
  };
}

/** One line for the batch: each run's rows and model decision, or its error. */
function outcomeOf(summaries: readonly RunSummary[]): BatchOutcome {
  const failed = summaries.some((s) => s.status === 'FAILED');
  const detail = summaries
    .map((s) => {
      if (s.error) return `${s.runId}: failed in ${s.error.state}: ${s.error.name}: ${s.error.message}`;
      const model = s.model ? `, model v${s.model.version} ${s.model.decision}` : '';
      return `${s.runId}: ${s.rows.input} rows in, ${s.rows.valid} valid, ${s.rows.quarantined} quarantined${model}`;
    })
    .join('; ');
  return { runIds: summaries.map((s) => s.runId), status: failed ? 'FAILED' : 'SUCCEEDED', detail };
}

/** What the watcher's scoring runs need. */
export interface LocalScoringRunnerOptions {
  projectRoot: string;
  specs: SpecCatalog;
  lakeRoot: string;
  /** Every scoring run's summary, as it ends. */
  onSummary?: (summary: ScoringSummary) => void;
}

/**
 * Runs a watched batch of `score/<pipeline>/`: the scoring workflow takes one file an execution (its input is
 * `{"pipeline", "key"}`, as in the cloud), so each file of the batch is scored in turn, with the production model.
 */
export function localScoringRunner(options: LocalScoringRunnerOptions): BatchRunner {
  return async (batch: DropBatch): Promise<BatchOutcome> => {
    const { runLocalScoring } = await import('./run-local-scoring.js');
    const summaries: ScoringSummary[] = [];
    for (const key of batch.keys) {
      const summary = await runLocalScoring({ lake: options.lakeRoot, pipeline: batch.pipeline, key, projectRoot: options.projectRoot, specs: options.specs });
      options.onSummary?.(summary);
      summaries.push(summary);
    }
    const detail = summaries
      .map((s) => {
        if (s.status === 'FAILED' || !s.manifest) return `${s.scoreRunId}: failed${s.error ? ` in ${s.error.state ?? '?'}: ${s.error.name}: ${s.error.message}` : ''}`;
        const { rows, model } = s.manifest;
        return `${s.scoreRunId}: scored ${rows.scored} of ${rows.input} rows with model version ${model.version}`;
      })
      .join('; ');
    return { runIds: summaries.map((s) => s.scoreRunId), status: summaries.some((s) => s.status === 'FAILED') ? 'FAILED' : 'SUCCEEDED', detail };
  };
}
