import { appendFileSync, mkdirSync } from 'node:fs';
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
import { LocalModelEvaluator } from '../adapters/local-model-evaluator.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import { detachedServerLauncher } from './endpoint-launcher.js';
import { projectRoot } from './project-root.js';
import type { ValidateAndPartitionDeps } from '../../core/steps/validate-and-partition.js';
import { DuckDbQueryEngine } from '../adapters/duckdb-query-engine.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { LocalCatalog } from '../adapters/local-catalog.js';
import { LocalJobBoard } from '../adapters/local-jobs.js';
import { LocalTrainer } from '../adapters/local-trainer.js';

/** The bucket name the local lake uses: `<lake>/lake/<key>`, as `s3://lake/<key>` would be. */
export const LOCAL_LAKE_BUCKET = 'lake';

/** Everything the local runtime's steps depend on, built once per run. */
export type LocalDeps = NormalizeInputDeps &
  ValidateAndPartitionDeps &
  RecordRunDeps &
  CrawlDeps &
  FeatureQueryDeps &
  TrainingDeps &
  EvaluateModelDeps &
  DeployDeps & { lakeRoot: string; logFile: string; catalog: LocalCatalog; queryEngine: DuckDbQueryEngine; jobs: LocalJobBoard };

/** Names of the local catalog's database and crawlers (in AWS they come from the stage). */
export const LOCAL_NAMES = { database: 'sluice_local', crawlerPrefix: 'sluice-local-', workgroupPrefix: 'sluice-local-' } as const;

/** Local endpoints are `sluice-local-<pipeline>`; the image is a label, the model runs in-process. */
export const LOCAL_ENDPOINT_PREFIX = 'sluice-local-';
const LOCAL_MODEL_IMAGE = 'local/sluice-xgboost:1.7-1';

/** Options of the local runtime. */
export interface LocalDepsOptions {
  lakeRoot: string;
  specs: SpecCatalog;
  runId: string;
  /** DuckDB memory limit; a file larger than it is streamed and spilled, not loaded. */
  memoryLimit?: string;
  /** How endpoint servers are started (default: a detached `sluice serve` process per endpoint). */
  launcher?: ServerLauncher;
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
  return {
    trainer: new LocalTrainer(localPath, { board: jobs, log: (message, fields) => logger.info(message, { step: 'LocalTrainer', ...fields }) }),
    jobs,
    registry: new LocalRegistry(store, LOCAL_LAKE_BUCKET),
    evaluator: new LocalModelEvaluator(localPath),
    hosting: new LocalHosting(options.lakeRoot, localPath, options.launcher ?? detachedServerLauncher(projectRoot()), {
      registryDirOf: (endpoint) => store.pathOf({ bucket: LOCAL_LAKE_BUCKET, key: `registry/${endpoint.slice(LOCAL_ENDPOINT_PREFIX.length)}` }),
    }),
    invoker: httpInvoker,
    modelImage: LOCAL_MODEL_IMAGE,
    endpointPrefix: LOCAL_ENDPOINT_PREFIX,
    jobPrefix: LOCAL_ENDPOINT_PREFIX,
    catalog,
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
  };
}
