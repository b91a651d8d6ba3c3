import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RunQuality } from '../../core/quality/ingest-quality-schema.js';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { parquetRowCount } from '../../core/features/feature-rows.js';
import { describeError } from '../../core/errors.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import type { RowCounts } from '../../core/run/workflow-state.js';
import type { ServerLauncher } from '../adapters/local-hosting.js';
import type { LocalJobBoard } from '../adapters/local-jobs.js';
import { localDistributedMaps } from './distributed-map.js';
import { warmServerLauncher } from './endpoint-launcher.js';
import type { WarmServerLauncher } from './endpoint-launcher.js';
import type * as SpareSessionWorker from '../xgboost/spare-session-worker.js';
import { projectRoot } from './project-root.js';
import { definitionHash, FailureRecorder, localExecutionArn, recordLocalFailure, saveExecutionRecord } from './failure-recorder.js';
import { installPromiseWithResolvers } from './polyfills.js';
import { localBindings } from './local-bindings.js';
import type { JSONValue } from './local-bindings.js';
import { LOCAL_LAKE_BUCKET, localDeps } from './local-deps.js';
import { loadDefinition, taskStateNames } from './resolve-definition.js';
import { StepTracker } from './step-tracker.js';
import { coalescedStepJournal } from './run-journal.js';
import type { StepRecord } from './step-tracker.js';
import { validationCacheDir } from './validation-cache-dir.js';

installPromiseWithResolvers();

/** The summary of a local run (`sluice run --json` prints it). */
export interface RunSummary {
  runId: string;
  pipeline: string;
  status: 'SUCCEEDED' | 'FAILED';
  error?: { name: string; message: string; state: string };
  steps: StepRecord[];
  rows: RowCounts;
  outputs: {
    lake: string;
    raw: string[];
    curated: string[];
    quarantine: string[];
    /** Input files whose bytes the lake had already ingested under another key: their rows were replaced, not added. */
    sameContentAs: { file: string; runId: string; key: string }[];
    /** The feature sets, and the split they achieved (rows on each side, the validation share and the share asked). */
    features?: { train: string; validation: string; split?: SplitReport };
    model?: string;
    manifest?: string;
    /** The run's HTML report beside the manifest (RecordRun writes it; a failed run has none). */
    report?: string;
    log: string;
  };
  /** The trained model and the gate's decision, when the run trained one. */
  model?: {
    version: number;
    metrics: Record<string, number>;
    promoted: boolean;
    /**
     * The candidate's standing, said the same way in the log and the registry: `promoted` (deployed and serving),
     * `approved, not deployed` (passed the gate of a pipeline without a deployment section) or `not promoted`.
     */
    decision: 'promoted' | 'approved, not deployed' | 'not promoted';
    reasons: string[];
    /** Where the promoted model serves (a local URL). */
    endpoint?: string;
  };
  /**
   * The data-quality findings of the run's files, when any was profiled: the strongest effect and each violation kind
   * with its columns, effect and violations file (docs/data-quality.md).
   */
  quality?: RunQuality;
  durationMs: number;
}

/** What a local run needs. */
export interface LocalRunOptions {
  projectRoot: string;
  spec: PipelineSpec;
  specs: SpecCatalog;
  lakeRoot: string;
  /** The execution input (what the console's "Start execution" would send). */
  input: JSONValue;
  /** The execution name; defaults to a time-based one, as schedules and manual runs get. */
  executionName?: string;
  /** Called for every state as it starts and ends: live progress. */
  onStep?: (step: StepRecord) => void;
  /**
   * Milliseconds every Wait state waits locally (default {@link DEFAULT_LOCAL_WAIT_MS}). Local jobs run in the
   * background: the poll after a Wait waits for one to settle, up to the spec's poll interval, so this only sets how
   * soon the first poll comes.
   */
  waitMs?: number;
  memoryLimit?: string;
  /** How endpoint servers are started (default: a detached lean serving process per endpoint). */
  launcher?: ServerLauncher;
  /**
   * The run's serving launcher when its caller made one (and may have warmed it already: `sluice run` starts the
   * serving process before it loads this runner, local/cli/main.ts). Default: one made here for a pipeline that deploys,
   * warmed when training starts. Released when the run ends either way.
   */
  warmLauncher?: WarmServerLauncher;
  /** Receives progress lines of long jobs (training rounds, tuning trials) while their step waits: live progress. */
  onProgress?: (line: string) => void;
  /**
   * Where definitions that passed the engine's validation are recorded, so an unchanged definition is validated once
   * (default `<projectRoot>/.sluice/validated-definitions`; `false`: validate on every run).
   */
  validationCache?: string | false;
  /**
   * Resumes a failed execution (`sluice redrive`, local/runtime/redrive.ts): `input` is then the input of `startAt`, the
   * top-level state it failed in, and the context object carries the execution's own start time, input and redrive count.
   */
  resume?: { startAt: string; redriveCount: number; startTime: string; executionInput: JSONValue };
}

/** A time-based execution name, like the ones the console and schedules get: `<pipeline>-<UTC time>-<random>`. */
export function timeBasedExecutionName(pipeline: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${pipeline}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs the workflow locally: the deployed ASL file, executed by aws-local-stepfunctions, every Task bound to its
 * step with local adapters. Never throws for a failed run: the summary says what failed, where.
 */
export async function runLocal(options: LocalRunOptions): Promise<RunSummary> {
  const started = Date.now();
  const executionName = options.executionName ?? timeBasedExecutionName(options.spec.name);
  // A run that may deploy starts its serving process when it starts training, so the server's module loading overlaps
  // the training instead of delaying Deploy (endpoint-launcher.ts); an unused one is let go when the run ends.
  const warm = options.warmLauncher ?? (options.launcher === undefined && options.spec.deployment !== undefined ? warmServerLauncher(projectRoot()) : undefined);
  const launcher = options.launcher ?? warm?.launch;
  const deps = localDeps({
    lakeRoot: options.lakeRoot,
    specs: options.specs,
    runId: executionName,
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
    ...(launcher ? { launcher } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  // The step journal (<lake>/logs/<runId>.steps.json) shows the run live in `sluice console` and in its report.
  const journal = coalescedStepJournal(options.lakeRoot, options.spec.name, executionName, new Date(started));
  // An XGBoost run starts its training worker while its features are made, so the worker's boot and library load
  // overlap the feature query (on the other core) instead of delaying the training (spare-session-worker.ts).
  let spareWorker: Promise<typeof SpareSessionWorker | undefined> | undefined;
  const tracker = new StepTracker((step) => {
    journal.record(step);
    if (warm !== undefined && step.status === 'RUNNING' && TRAINING_STARTS.has(step.name)) warm.warm();
    if (spareWorker === undefined && step.status === 'RUNNING' && step.name === FEATURES_START && options.spec.training?.algorithm === 'xgboost') {
      spareWorker = import('../xgboost/spare-session-worker.js').then(
        (module) => {
          module.prestartSessionWorker();
          return module;
        },
        () => undefined,
      );
    }
    options.onStep?.(step);
  });
  // The engine runs no Distributed Map and no ECS task: distributed-map.ts emulates both, with the definition's choices.
  const generated = loadDefinition(options.projectRoot);
  // RecordFailure runs outside the execution, as the cloud's status-change rule runs it (failure-recorder.ts).
  const recorder = new FailureRecorder();
  const distributed = localDistributedMaps(engineDefinition(generated), {
    store: deps.store,
    lakeBucket: LOCAL_LAKE_BUCKET,
    lakeRoot: deps.lakeRoot,
    runId: executionName,
    specs: options.specs.all(),
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
    // The children's states show in the progress and the summary (`ValidateAndPartition[3]`); the failure recorder
    // sees only the top level, where a redrive starts (IngestFiles).
    onChildEvent: (event) => tracker.record(event),
    // A map run that fails names its failed files only to the recorder, as ListExecutions by map run does in the cloud.
    onMapRunFailed: (run) => recorder.mapRunFailed(run),
  });
  const definition = distributed.definition;
  const stepBindings = localBindings(deps);
  // Every Task first writes the journal's pending states, so a step that reads it (RecordRun's report) sees them.
  const bindings: Record<string, (input: JSONValue) => Promise<JSONValue>> = Object.fromEntries(
    Object.entries({ ...stepBindings, ...distributed.bind(stepBindings) }).map(([name, task]) => [
      name,
      (input: JSONValue) => {
        try {
          journal.flush();
        } catch {
          // A journal that cannot be written fails the run when it ends (its last flush), not this state.
        }
        return task(input);
      },
    ]),
  );
  const unbound = taskStateNames(definition).filter((name) => !(name in bindings));
  if (unbound.length > 0) throw new Error(`Task states with no local binding (they would call AWS): ${unbound.join(', ')}`);
  const waitMs = options.waitMs ?? DEFAULT_LOCAL_WAIT_MS;
  const waits = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Wait')
      // Polls answer when a local job settles (see pacedPolls); the Wait itself only lets the loop breathe.
      .map(([name]) => [name, waitMs]),
  );

  // The engine module (with the Lambda client and asl-validator it bundles) loads here, when a run needs it.
  const { validatedStateMachine } = await import('./validated-machine.js');
  const cacheDir = options.validationCache === false ? undefined : (options.validationCache ?? validationCacheDir(options.projectRoot));
  const engineReady = engineDefinition(definition) as unknown as StateMachineDefinition;
  // A redrive runs the same definition from the state that failed (Step Functions keeps the execution's definition).
  const { machine } = options.resume
    ? await (await import('./redrive.js')).resumedStateMachine(engineReady, options.resume.startAt, cacheDir)
    : await validatedStateMachine(engineReady, cacheDir);
  const startTime = options.resume?.startTime ?? new Date(started).toISOString();
  const executionInput = options.resume?.executionInput ?? options.input;
  const redriveCount = options.resume?.redriveCount ?? 0;
  const execution = machine.run(options.input, {
    overrides: { taskResourceLocalHandlers: pacedPolls(definition, bindings, deps.jobs, waitMs), waitTimeOverrides: waits, retryIntervalOverrides: retryOverrides(definition) },
    context: {
      Execution: { Id: localExecutionArn(executionName), Name: executionName, StartTime: startTime, Input: executionInput, RoleArn: 'local', RedriveCount: redriveCount },
      StateMachine: { Id: 'local:sluice', Name: 'sluice' },
    },
  });
  const consuming = (async () => {
    for await (const event of execution.eventLogs) {
      tracker.record(event);
      recorder.record(event);
    }
  })();

  let failure: { name: string; message: string } | undefined;
  try {
    await execution.result;
  } catch (error) {
    failure = describeError(error);
  } finally {
    // A failed run can leave a job running (the other split's query, a training past a failed poll): stop it.
    deps.jobs.stopAll();
    // The unused process exits by itself once its channel closes: nothing to wait for.
    void warm?.release();
    // A training worker no training took (the run failed or skipped training) holds nothing: end it.
    void spareWorker?.then((module) => module?.releaseSpareSessionWorker()).catch(() => undefined);
  }
  // The event log can trail the result: read it to the end before asking it what failed.
  await consuming;
  journal.flush();
  if (failure) failure = tracker.executionError() ?? failure;
  const record = { lakeRoot: deps.lakeRoot, pipeline: options.spec.name, specFile: options.spec.file, definitionHash: definitionHash(generated), executionInput };
  const failed = recorder.failure({ name: executionName, startTime, redriveCount });
  if (failed) {
    await recordLocalFailure(failed, deps, record, recorder.failedChildren()).catch((error: unknown) => deps.logger.error('could not record the failure', { error: describeError(error) }));
  } else if (options.resume) {
    await saveExecutionRecord(deps.lakeRoot, { runId: executionName, pipeline: options.spec.name, specFile: options.spec.file, status: 'SUCCEEDED', definitionHash: record.definitionHash, startTime, executionInput, redriveCount });
  }
  return summarize(options, deps.lakeRoot, deps.logFile, executionName, tracker, failure, Date.now() - started);
}

/** The states that start a model's training: from there on, a run that deploys will want its serving process. */
const TRAINING_STARTS: ReadonlySet<string> = new Set(['StartTraining', 'StartTuning']);

/** The state whose start says training follows soon (the feature query is being made). */
const FEATURES_START = 'StartFeatureQuery';

/**
 * How long each local Wait state waits (ms) before its poll: polls themselves wait for a job to settle (see
 * {@link pacedPolls}), so the Wait only yields one timer turn. Every millisecond here is on a run's critical path once
 * per Wait (five in an untuned run).
 */
export const DEFAULT_LOCAL_WAIT_MS = 1;

/**
 * The longest Task timeout the engine can keep (s): it arms a `setTimeout`, and Node fires a longer one at once
 * (2^31-1 ms, 24.8 days). Step Functions sets no Task timeout unless the ASL does.
 */
export const UNBOUNDED_TASK_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

interface AslStates {
  States: Record<string, Record<string, unknown>>;
}

/**
 * The definition as the local engine runs it: every Task state (in Map and Parallel states too) without a
 * `TimeoutSeconds` or `TimeoutSecondsPath` of its own gets {@link UNBOUNDED_TASK_SECONDS}. aws-local-stepfunctions
 * otherwise cuts every Task at 60 s (`DEFAULT_TIMEOUT_SECONDS` in its TaskStateAction) and reports only
 * `States.Timeout`, a limit the ASL never set and Step Functions does not impose. A timeout the ASL sets is kept.
 */
export function engineDefinition<D extends AslStates>(definition: D): D {
  // A JSON copy, not structuredClone: under jest's vm contexts a structured clone's objects have another realm's
  // prototype, and the engine processes nested payload templates (ResultSelector, ItemSelector) of plain objects only.
  const copy = JSON.parse(JSON.stringify(definition)) as D;
  const visit = (machine: AslStates): void => {
    for (const state of Object.values(machine.States)) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = UNBOUNDED_TASK_SECONDS;
      }
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const inner = state[key];
        if (isAslStates(inner)) visit(inner);
      }
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) if (isAslStates(branch)) visit(branch);
    }
  };
  visit(copy);
  return copy;
}

function isAslStates(value: unknown): value is AslStates {
  return typeof value === 'object' && value !== null && typeof (value as { States?: unknown }).States === 'object';
}

/**
 * Binds each poll (the Task after a Wait state whose `SecondsPath` is the poll interval) so it waits, while a local
 * job runs, until a job settles or the interval has passed. The loop then answers the moment a job ends, never
 * busy-loops, and each poll of a running job still stands for one interval: the poll-count limits the steps derive
 * from the spec's timeouts (`maxAttempts` × `pollSeconds`) hold locally as they do in the cloud.
 */
export function pacedPolls<T extends Record<string, (input: JSONValue) => Promise<JSONValue>>>(
  definition: AslStates,
  bindings: T,
  jobs: Pick<LocalJobBoard, 'settledOrAfter'>,
  waitMs: number,
): T {
  const paced: Record<string, (input: JSONValue) => Promise<JSONValue>> = { ...bindings };
  for (const wait of Object.values(definition.States)) {
    const next = typeof wait.Next === 'string' ? wait.Next : undefined;
    const secondsPath = typeof wait.SecondsPath === 'string' ? wait.SecondsPath : undefined;
    const poll = next === undefined ? undefined : bindings[next];
    if (wait.Type !== 'Wait' || next === undefined || secondsPath === undefined || poll === undefined) continue;
    paced[next] = async (input) => {
      const seconds = readPath(input, secondsPath);
      if (typeof seconds === 'number') await jobs.settledOrAfter(seconds * 1000 - waitMs);
      return poll(input);
    };
  }
  return paced as T;
}

/** The value at a simple JSONPath (`$.a.b`), as a Wait state's `SecondsPath` names it. */
function readPath(input: JSONValue, jsonPath: string): JSONValue | undefined {
  if (!jsonPath.startsWith('$.')) return undefined;
  let value: JSONValue | undefined = input;
  for (const key of jsonPath.slice(2).split('.')) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) ? value[key] : undefined;
  }
  return value;
}

/** Retry intervals as the local engine takes them: every retried state retries at once (run-local-scoring.ts too). */
export function retryOverrides(definition: { States: Record<string, Record<string, unknown>> }): Record<string, number> {
  // Retries keep their count and order locally but not their waiting: a local failure is not a throttled service.
  return Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => Array.isArray(s.Retry))
      .map(([name]) => [name, 0]),
  );
}

function summarize(
  options: LocalRunOptions,
  lakeRoot: string,
  logFile: string,
  runId: string,
  tracker: StepTracker,
  failure: { name: string; message: string } | undefined,
  durationMs: number,
): RunSummary {
  const manifest = readManifest(lakeRoot, options.spec.name, runId);
  const bucketDir = path.join(lakeRoot, LOCAL_LAKE_BUCKET);
  const files = manifest?.ingest ?? [];
  const local = (key: string) => path.join(bucketDir, key);
  const uriPath = (uri: string) => (uri.startsWith('s3://') ? path.join(lakeRoot, uri.slice('s3://'.length)) : uri);
  const summary: RunSummary = {
    runId,
    pipeline: options.spec.name,
    status: failure ? 'FAILED' : 'SUCCEEDED',
    steps: tracker.steps(),
    rows: manifest?.rows ?? { input: 0, valid: 0, quarantined: 0 },
    outputs: {
      lake: lakeRoot,
      raw: files.map((f) => local(f.rawKey)),
      // The manifest holds every file's curated keys (read back from the ingest listings by RecordRun/RecordFailure).
      curated: [...new Set(files.flatMap((f) => (f.curatedKeys ?? []).map(local)))],
      quarantine: files.flatMap((f) => (f.quarantineKey ? [local(f.quarantineKey)] : [])),
      // Issue 9: the same bytes under another name replace the earlier rows; the summary says so.
      sameContentAs: files.flatMap((f) => (f.sameContentAs ? [{ file: f.source.key, ...f.sameContentAs }] : [])),
      ...(manifest?.stages.features ? { features: featureOutputs(uriPath(manifest.stages.features.train.location), uriPath(manifest.stages.features.validation.location), options.spec) } : {}),
      ...(manifest?.stages.training?.modelArtifact ? { model: uriPath(manifest.stages.training.modelArtifact) } : {}),
      ...(manifest ? { manifest: local(`runs/${options.spec.name}/${runId}.json`) } : {}),
      ...(manifest && existsSync(local(`runs/${options.spec.name}/${runId}.html`)) ? { report: local(`runs/${options.spec.name}/${runId}.html`) } : {}),
      log: logFile,
    },
    ...(manifest?.quality ? { quality: manifest.quality } : {}),
    durationMs,
  };
  const evaluation = manifest?.stages.evaluation;
  if (evaluation) {
    const endpoint = manifest.stages.promotion?.endpoint;
    summary.model = {
      version: evaluation.candidate.version,
      metrics: evaluation.candidate.metrics,
      promoted: evaluation.promote && endpoint !== undefined,
      decision: modelDecision(evaluation.promote, evaluation.candidate.status, endpoint),
      reasons: evaluation.decision.reasons,
      ...(endpoint ? { endpoint } : {}),
    };
  }
  if (failure) summary.error = { ...failure, state: tracker.failedState() ?? 'unknown' };
  return summary;
}

interface ManifestView {
  rows: RowCounts;
  ingest: { source: { key: string }; rawKey: string; curatedKeys?: string[]; quarantineKey?: string; sameContentAs?: { runId: string; key: string } }[];
  stages: {
    features?: { train: { location: string }; validation: { location: string } };
    training?: { modelArtifact?: string };
    evaluation?: { promote: boolean; decision: { reasons: string[] }; candidate: { version: number; metrics: Record<string, number>; status: string } };
    promotion?: { endpoint: string };
  };
  quality?: RunQuality;
}

/** How a run's rows were split: the rows on each side, the validation share achieved and the share the spec asked. */
export interface SplitReport {
  trainRows: number;
  validationRows: number;
  validationShare: number;
  askedShare: number;
}

function featureOutputs(train: string, validation: string, spec: PipelineSpec): NonNullable<RunSummary['outputs']['features']> {
  const trainRows = countRows(train);
  const validationRows = countRows(validation);
  const total = trainRows + validationRows;
  const askedShare = spec.features?.validationRatio ?? 0;
  return { train, validation, ...(total > 0 ? { split: { trainRows, validationRows, validationShare: validationRows / total, askedShare } } : {}) };
}

/** Rows of a feature set folder: Parquet files' row counts, or lines of its gzip CSV files (no header). */
function countRows(folder: string): number {
  if (!existsSync(folder)) return 0;
  let rows = 0;
  for (const name of readdirSync(folder)) {
    const bytes = readFileSync(path.join(folder, name));
    const parquetRows = parquetRowCount(bytes);
    if (parquetRows !== undefined) {
      rows += parquetRows;
      continue;
    }
    const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    for (const byte of text) if (byte === 0x0a) rows++;
  }
  return rows;
}

function modelDecision(promote: boolean, status: string, endpoint: string | undefined): NonNullable<RunSummary['model']>['decision'] {
  if (promote && endpoint !== undefined) return 'promoted';
  // EvaluateModel approves a candidate that passed the gate of a pipeline that deploys nothing.
  if (promote && status === 'Approved') return 'approved, not deployed';
  return 'not promoted';
}

function readManifest(lakeRoot: string, pipeline: string, runId: string): ManifestView | undefined {
  for (const folder of [pipeline, '_unknown']) {
    const file = path.join(lakeRoot, LOCAL_LAKE_BUCKET, 'runs', folder, `${runId}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ManifestView;
  }
  return undefined;
}
