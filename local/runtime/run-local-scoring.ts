/**
 * Runs the scoring workflow locally: state-machines/sluice-score.asl.json (with its retry policies, as deployed),
 * executed by aws-local-stepfunctions, every Task bound to the registry's step with the local adapters, as
 * `runLocal` runs the training workflow (./run-local.ts, whose engine preparation it reuses).
 *
 * `runLocalScoring({ lake, pipeline, key })` is what a watched scoring drop zone calls for a file dropped in
 * `<lake>/<bucket>/score/<pipeline>/`, and what `sluice score` calls once it has copied the file there.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describeError } from '../../core/errors.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { folderSpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { ScoringManifest } from '../../core/steps/record-scoring-run.js';
import { scoringManifestSchema } from '../../core/steps/record-scoring-run.js';
import { localBindings } from './local-bindings.js';
import type { JSONValue } from './local-bindings.js';
import { LOCAL_LAKE_BUCKET, localDeps } from './local-deps.js';
import { installPromiseWithResolvers } from './polyfills.js';
import { projectRoot as defaultProjectRoot } from './project-root.js';
import { resolveDefinition, taskStateNames } from './resolve-definition.js';
import type { ResolvedDefinition } from './resolve-definition.js';
import { DEFAULT_LOCAL_WAIT_MS, engineDefinition, pacedPolls, retryOverrides, timeBasedExecutionName } from './run-local.js';
import { StepTracker } from './step-tracker.js';
import type { StepRecord } from './step-tracker.js';
import { validationCacheDir } from './validation-cache-dir.js';

installPromiseWithResolvers();

/** What a local scoring run needs. */
export interface LocalScoringOptions {
  /** The local lake folder. */
  lake: string;
  pipeline: string;
  /** The scoring file's key in the lake bucket, e.g. `score/churn/new-customers.csv`. */
  key: string;
  /** Default: the project this code runs from. */
  projectRoot?: string;
  /** Default: the project's pipelines/ folder. */
  specs?: SpecCatalog;
  /** The execution name (the scoring run id); default a time-based one. */
  executionName?: string;
  onStep?: (step: StepRecord) => void;
  memoryLimit?: string;
}

/** The outcome of a local scoring run: the manifest when it succeeded, what failed where otherwise. */
export interface ScoringSummary {
  scoreRunId: string;
  pipeline: string;
  status: 'SUCCEEDED' | 'FAILED';
  error?: { name: string; message: string; state?: string };
  manifest?: ScoringManifest;
  /** Local paths of the outputs. */
  outputs: { lake: string; predictions?: string; quarantine?: string; manifest?: string; log: string };
  steps: StepRecord[];
  durationMs: number;
}

/** The generated scoring definition of the project at `root`, resolved for the local engine. */
export function loadScoringDefinition(root: string): ResolvedDefinition {
  const generator = createRequire(__filename)(path.join(root, 'deploy', 'scoring-state-machine.js')) as { scoringStateMachineDefinition: (root: string) => unknown };
  return resolveDefinition(generator.scoringStateMachineDefinition(root));
}

/**
 * Runs the scoring workflow on `key` of the local lake. Never throws for a failed run: the summary says what failed,
 * where (the failed state's name, from the event log).
 */
export async function runLocalScoring(options: LocalScoringOptions): Promise<ScoringSummary> {
  const started = Date.now();
  const root = options.projectRoot ?? defaultProjectRoot();
  const specs = options.specs ?? folderSpecCatalog(path.join(root, 'pipelines'));
  const executionName = options.executionName ?? timeBasedExecutionName(`${options.pipeline}-score`);
  const lakeRoot = path.resolve(options.lake);
  const deps = localDeps({ lakeRoot, specs, runId: executionName, ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}) });
  const tracker = new StepTracker(options.onStep);
  const definition = loadScoringDefinition(root);
  const bindings = localBindings(deps) as Record<string, (input: JSONValue) => Promise<JSONValue>>;
  const unbound = taskStateNames(definition).filter((name) => !(name in bindings));
  if (unbound.length > 0) throw new Error(`Scoring Task states with no local binding (they would call AWS): ${unbound.join(', ')}`);
  const waits = Object.fromEntries(Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, DEFAULT_LOCAL_WAIT_MS]));
  const { validatedStateMachine } = await import('./validated-machine.js');
  const { machine } = await validatedStateMachine(engineDefinition(definition) as unknown as StateMachineDefinition, validationCacheDir(root));
  const input = { pipeline: options.pipeline, key: options.key };
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: pacedPolls(definition, bindings, deps.jobs, DEFAULT_LOCAL_WAIT_MS),
      waitTimeOverrides: waits,
      retryIntervalOverrides: retryOverrides(definition),
    },
    context: {
      Execution: { Id: `arn:aws:states:local:000000000000:execution:sluice-score:${executionName}`, Name: executionName, StartTime: new Date(started).toISOString(), Input: input, RoleArn: 'local', RedriveCount: 0 },
      StateMachine: { Id: 'local:sluice-score', Name: 'sluice-score' },
    },
  });
  const consuming = (async () => {
    for await (const event of execution.eventLogs) tracker.record(event);
  })();
  let result: unknown;
  let failure: { name: string; message: string } | undefined;
  try {
    result = await execution.result;
  } catch (error) {
    failure = describeError(error);
  } finally {
    deps.jobs.stopAll();
    await deps.jobs.idle();
  }
  await consuming;
  if (failure) failure = tracker.executionError() ?? failure;
  const failedState = tracker.steps().find((step) => step.status === 'FAILED')?.name;
  const bucketDir = path.join(lakeRoot, LOCAL_LAKE_BUCKET);
  const parsed = failure ? undefined : scoringManifestSchema.safeParse(result);
  const manifest = parsed?.success ? parsed.data : undefined;
  const local = (uri: string) => (uri.startsWith('s3://') ? path.join(lakeRoot, uri.slice('s3://'.length)) : uri);
  return {
    scoreRunId: executionName,
    pipeline: options.pipeline,
    status: failure || !manifest ? 'FAILED' : 'SUCCEEDED',
    ...(failure ? { error: { ...failure, ...(failedState ? { state: failedState } : {}) } } : !manifest ? { error: { name: 'ScoringOutputError', message: 'the scoring run returned no manifest' } } : {}),
    ...(manifest ? { manifest } : {}),
    outputs: {
      lake: lakeRoot,
      ...(manifest ? { predictions: local(manifest.outputs.predictions), manifest: path.join(bucketDir, `scoring/${options.pipeline}/runs/${executionName}/manifest.json`) } : {}),
      ...(manifest?.outputs.quarantine ? { quarantine: local(manifest.outputs.quarantine) } : {}),
      log: deps.logFile,
    },
    steps: tracker.steps(),
    durationMs: Date.now() - started,
  };
}
