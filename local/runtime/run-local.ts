import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describeError } from '../../core/errors.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import type { RowCounts } from '../../core/run/workflow-state.js';
import type { ServerLauncher } from '../adapters/local-hosting.js';
import { installPromiseWithResolvers } from './polyfills.js';
import { localBindings } from './local-bindings.js';
import type { JSONValue } from './local-bindings.js';
import { LOCAL_LAKE_BUCKET, localDeps } from './local-deps.js';
import { loadDefinition, taskStateNames } from './resolve-definition.js';
import { StepTracker } from './step-tracker.js';
import type { StepRecord } from './step-tracker.js';

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
    features?: { train: string; validation: string };
    model?: string;
    manifest?: string;
    log: string;
  };
  /** The trained model and the gate's decision, when the run trained one. */
  model?: {
    version: number;
    metrics: Record<string, number>;
    promoted: boolean;
    reasons: string[];
    /** Where the promoted model serves (a local URL). */
    endpoint?: string;
  };
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
  /** Milliseconds every Wait state waits locally (the engines answer at once; polling need not sleep). */
  waitMs?: number;
  memoryLimit?: string;
  /** How endpoint servers are started (default: a detached `sluice serve` process per endpoint). */
  launcher?: ServerLauncher;
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
  const deps = localDeps({
    lakeRoot: options.lakeRoot,
    specs: options.specs,
    runId: executionName,
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
  });
  const definition = loadDefinition(options.projectRoot);
  const bindings = localBindings(deps);
  const unbound = taskStateNames(definition).filter((name) => !(name in bindings));
  if (unbound.length > 0) throw new Error(`Task states with no local binding (they would call AWS): ${unbound.join(', ')}`);
  const waits = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Wait')
      // Local engines finish when started; only a starting endpoint server takes a moment to load its model.
      .map(([name]) => [name, options.waitMs ?? 50]),
  );

  const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(options.input, {
    overrides: { taskResourceLocalHandlers: bindings, waitTimeOverrides: waits, retryIntervalOverrides: retryOverrides(definition) },
    context: {
      Execution: { Id: `local:${executionName}`, Name: executionName, StartTime: new Date(started).toISOString(), Input: options.input, RoleArn: 'local', RedriveCount: 0 },
      StateMachine: { Id: 'local:sluice', Name: 'sluice' },
    },
  });
  const tracker = new StepTracker(options.onStep);
  const consuming = (async () => {
    for await (const event of execution.eventLogs) tracker.record(event);
  })();

  let failure: { name: string; message: string } | undefined;
  try {
    await execution.result;
  } catch (error) {
    failure = describeError(error);
  }
  // The event log can trail the result: read it to the end before asking it what failed.
  await consuming;
  if (failure) failure = tracker.executionError() ?? failure;
  return summarize(options, deps.lakeRoot, deps.logFile, executionName, tracker, failure, Date.now() - started);
}

function retryOverrides(definition: { States: Record<string, Record<string, unknown>> }): Record<string, number> {
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
      curated: [...new Set(files.flatMap((f) => f.curatedKeys.map(local)))],
      quarantine: files.flatMap((f) => (f.quarantineKey ? [local(f.quarantineKey)] : [])),
      ...(manifest?.stages.features ? { features: { train: uriPath(manifest.stages.features.train.location), validation: uriPath(manifest.stages.features.validation.location) } } : {}),
      ...(manifest?.stages.training?.modelArtifact ? { model: uriPath(manifest.stages.training.modelArtifact) } : {}),
      ...(manifest ? { manifest: local(`runs/${options.spec.name}/${runId}.json`) } : {}),
      log: logFile,
    },
    durationMs,
  };
  const evaluation = manifest?.stages.evaluation;
  if (evaluation) {
    const endpoint = manifest.stages.promotion?.endpoint;
    summary.model = {
      version: evaluation.candidate.version,
      metrics: evaluation.candidate.metrics,
      promoted: evaluation.promote && endpoint !== undefined,
      reasons: evaluation.decision.reasons,
      ...(endpoint ? { endpoint } : {}),
    };
  }
  if (failure) summary.error = { ...failure, state: tracker.failedState() ?? 'unknown' };
  return summary;
}

interface ManifestView {
  rows: RowCounts;
  ingest: { rawKey: string; curatedKeys: string[]; quarantineKey?: string }[];
  stages: {
    features?: { train: { location: string }; validation: { location: string } };
    training?: { modelArtifact?: string };
    evaluation?: { promote: boolean; decision: { reasons: string[] }; candidate: { version: number; metrics: Record<string, number> } };
    promotion?: { endpoint: string };
  };
}

function readManifest(lakeRoot: string, pipeline: string, runId: string): ManifestView | undefined {
  for (const folder of [pipeline, '_unknown']) {
    const file = path.join(lakeRoot, LOCAL_LAKE_BUCKET, 'runs', folder, `${runId}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ManifestView;
  }
  return undefined;
}
