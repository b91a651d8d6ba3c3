import { appendFileSync, mkdirSync } from 'node:fs';
import { rawRecordsOf } from '../serving/raw-spec-field.js';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../core/log/logger.js';
import { jsonLinesLogger } from '../../core/log/logger.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { NormalizeInputDeps } from '../../core/steps/normalize-input.js';
import type { RecordRunDeps } from '../../core/manifest/run-manifest.js';
import type { CrawlDeps } from '../../core/crawl/crawl.js';
import type { FeatureQueryDeps } from '../../core/features/feature-query.js';
import type { TrainingDeps } from '../../core/training/training-job.js';
import type { DeployDeps } from '../../core/deployment/deployment.js';
import type { EvaluateModelDeps } from '../../core/steps/evaluate-model.js';
import type { ServerLauncher } from '../adapters/local-hosting.js';
import { httpInvoker, LocalHosting } from '../adapters/local-hosting.js';
import { LocalNotifier } from '../adapters/local-notifier.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import { detachedServerLauncher } from './endpoint-launcher.js';
import { projectRoot } from './project-root.js';
import type { ValidateAndPartitionDeps } from '../../core/steps/validate-and-partition.js';
import type { ScoringDeps } from '../../core/scoring/scoring-deps.js';
import { LocalBatchScorer } from '../adapters/local-batch-scorer.js';
import { DuckDbQueryEngine } from '../adapters/duckdb-query-engine.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { LocalCatalog } from '../adapters/local-catalog.js';
import { LocalJobBoard } from '../adapters/local-jobs.js';
import type { EvaluationTransformDeps } from '../../core/evaluation/evaluation-jobs.js';
import type { Trainer } from '../../core/ports/trainer.js';
import { lazyPort } from './lazy-port.js';
import { LOCAL_ENDPOINT_PREFIX, LOCAL_LAKE_BUCKET, LOCAL_NAMES } from './local-names.js';
import { textServingSpecOf } from '../serving/text-normaliser.js';
import type { ReportSources } from '../../core/report/run-view.js';
import { localReportSources } from '../console/local-report-sources.js';

// The names live in a module of their own so that commands which only need them (stop, endpoints) load no engine.
export { LOCAL_ENDPOINT_PREFIX, LOCAL_LAKE_BUCKET, LOCAL_NAMES } from './local-names.js';

/** Everything the local runtime's steps depend on, built once per run. */
export type LocalDeps = NormalizeInputDeps &
  ValidateAndPartitionDeps &
  RecordRunDeps &
  CrawlDeps &
  FeatureQueryDeps &
  TrainingDeps &
  EvaluateModelDeps &
  EvaluationTransformDeps &
  DeployDeps &
  ScoringDeps & { lakeRoot: string; logFile: string; catalog: LocalCatalog; queryEngine: DuckDbQueryEngine; jobs: LocalJobBoard; report: ReportSources };

/** The image is a label: the model runs in the local endpoint's process. */
const LOCAL_MODEL_IMAGE = 'local/sluice-xgboost:1.7-1';

/** Options of the local runtime. */
export interface LocalDepsOptions {
  lakeRoot: string;
  specs: SpecCatalog;
  runId: string;
  /** DuckDB memory limit; a file larger than it is streamed and spilled, not loaded. */
  memoryLimit?: string;
  /** How endpoint servers are started (default: a detached lean serving process per endpoint, see endpoint-launcher.ts). */
  launcher?: ServerLauncher;
  /** Receives the training and tuning jobs' progress lines (round, metric, best so far), for the live view. */
  onProgress?: (line: string) => void;
}

/**
 * Builds the local adapters: the lake is a folder, logs are JSON lines in `<lake>/logs/<runId>.jsonl`, DuckDB uses
 * every core and at most `memoryLimit` of memory.
 */
export function localDeps(options: LocalDepsOptions): LocalDeps {
  const logDir = path.join(options.lakeRoot, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.runId}.jsonl`);
  const logger: Logger = jsonLinesLogger((line) => appendFileSync(logFile, line), { runId: options.runId });
  const duckdb = { threads: availableParallelism(), memoryLimit: options.memoryLimit ?? '1GB' };
  const spill = { ...duckdb, tempDirectory: path.join(options.lakeRoot, '.work', 'spill') };
  // One board for the run's background jobs: a poll waits for any of them to settle (see run-local.ts).
  const jobs = new LocalJobBoard();
  const catalog = new LocalCatalog(options.lakeRoot, spill, () => new Date(), jobs);
  const store = new FolderObjectStore(options.lakeRoot);
  const localPath = (uri: string) => store.pathOfUri(uri);
  // XGBoost (koffi, tar) and the tuner load when a state first trains or evaluates, not when the run starts.
  const trainer = lazyPort<Trainer>(
    async () => {
      const { LocalTrainer } = await import('../adapters/local-trainer.js');
      return new LocalTrainer(localPath, { board: jobs, log: (message, fields) => logger.info(message, { step: 'LocalTrainer', ...fields }), ...(options.onProgress ? { progress: options.onProgress } : {}) });
    },
    { startTraining: true, trainingStatus: true, startTuning: true, tuningStatus: true, stopTraining: true, stopTuning: true },
  );
  return {
    trainer,
    jobs,
    registry: new LocalRegistry(store, LOCAL_LAKE_BUCKET),
    hosting: new LocalHosting(options.lakeRoot, localPath, options.launcher ?? detachedServerLauncher(projectRoot()), {
      registryDirOf: (endpoint) => store.pathOf({ bucket: LOCAL_LAKE_BUCKET, key: `registry/${endpoint.slice(LOCAL_ENDPOINT_PREFIX.length)}` }),
      // A text pipeline's endpoint normalises raw reviews with the pipeline's own feature SQL (local/serving/text-normaliser.ts).
      textNormalisationOf: (endpoint) => textServingSpecOf(options.specs.get(endpoint.slice(LOCAL_ENDPOINT_PREFIX.length))),
      // Raw records (the contract's columns) answered with the pipeline's scoring query (local/serving/raw-route.ts).
      rawRecordsOf: (endpoint) => rawRecordsOf(options.specs.get(endpoint.slice(LOCAL_ENDPOINT_PREFIX.length))),
    }),
    invoker: httpInvoker,
    modelImage: LOCAL_MODEL_IMAGE,
    endpointPrefix: LOCAL_ENDPOINT_PREFIX,
    jobPrefix: LOCAL_ENDPOINT_PREFIX,
    catalog,
    // Batch scoring (issue 12): the scoring workflow's tables live in the same catalog; its transform is a local job.
    tables: catalog,
    // The champion/challenger transforms of a training run (core/evaluation/evaluation-jobs.ts) use the same scorer.
    batchScorer: new LocalBatchScorer(localPath, jobs),
    queryEngine: new DuckDbQueryEngine(options.lakeRoot, catalog, spill, jobs),
    names: LOCAL_NAMES,
    lakeRoot: options.lakeRoot,
    logFile,
    store,
    specs: options.specs,
    lakeBucket: LOCAL_LAKE_BUCKET,
    logger,
    workDir: path.join(options.lakeRoot, '.work'),
    duckdb,
    clock: () => new Date(),
    // Every finished run's notification, recorded in the lake and posted to the spec's webhook (issue 13).
    notifier: new LocalNotifier(store, LOCAL_LAKE_BUCKET, (pipeline) => webhookOf(options.specs, pipeline), logger),
    // RecordRun's HTML report beside the manifest: Chart.js from node_modules, the ASL, the step journal, the registry.
    report: localReportSources({ lakeRoot: options.lakeRoot, store, bucket: LOCAL_LAKE_BUCKET, projectRoot: projectRoot() }),
  };
}

function webhookOf(specs: SpecCatalog, pipeline: string): string | undefined {
  try {
    return specs.get(pipeline).notifications?.webhookUrl;
  } catch {
    // RecordFailure of a run that failed before it had a pipeline (`_unknown`): no webhook to post to.
    return undefined;
  }
}
