import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine, QueryStatus } from '../ports/query-engine.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { tableName, workgroupName } from '../run/naming.js';
import type { RunContext } from '../run/run-context.js';
import type { FeatureProgress } from '../run/workflow-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { specFileForUser } from '../spec/spec-file.js';
import type { ChannelAlgorithm } from './channel-format.js';
import { channelFormat } from './channel-format.js';
import type { FeatureSplit } from './feature-sql.js';
import { SPLIT_COLUMN, featureUnloadSql, readFeatureQuery, splitSettings } from './feature-sql.js';

/** The feature query failed or was cancelled; the message carries the engine's reason. */
export class FeatureQueryFailedError extends TerminalStepError {
  public override readonly name = 'FeatureQueryFailedError';
}

/** The feature query outlasted the spec's `features.timeoutSeconds`. */
export class FeatureQueryTimeoutError extends TerminalStepError {
  public override readonly name = 'FeatureQueryTimeoutError';
}

/** What a feature query that ran out of time says: the step that started it, the limit, and the setting to change. */
export function featureTimeoutMessage(spec: PipelineSpec, what: string): string {
  return `StartFeatureQuery: ${what} ran past features.timeoutSeconds (${spec.features?.timeoutSeconds ?? '?'} s); raise it in ${specFileForUser(spec)}`;
}

/** What the feature query steps (StartFeatureQuery, GetFeatureQueryState) need. */
export interface FeatureQueryDeps {
  queryEngine: QueryEngine;
  store: ObjectStore;
  specs: SpecCatalog;
  names: ResourceNames;
}

/** The feature sets a run writes, each a folder of the one query's target. */
export const FEATURE_SPLITS: readonly FeatureSplit[] = ['train', 'validation'];

/** The folder of one feature set below the query's target: UNLOAD's Hive-style partition folder. */
export function featureSetLocation(target: string, split: FeatureSplit): string {
  return `${target}${SPLIT_COLUMN}=${split}/`;
}

/** The algorithm whose channel format the feature sets are written in (a spec without training: XGBoost's). */
export function algorithmOf(spec: PipelineSpec): ChannelAlgorithm {
  return spec.training?.algorithm ?? 'xgboost';
}

/**
 * Starts the run's one feature query: reads the pipeline's features.sql (one SELECT over its table, label first),
 * wraps it in one UNLOAD to `features/<pipeline>/<runId>/` (emptied first: UNLOAD refuses a target with data) that
 * gives each row its split once and writes `split=train/` and `split=validation/` from one scan of the table, in the
 * channel format of the pipeline's algorithm. The request token derives from the run and the redrive count, so a
 * retried state does not start it twice and a redrive starts it again.
 */
export async function startFeatureQueries({ run, redriveCount }: { run: RunContext; redriveCount: number }, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const spec = deps.specs.get(run.pipeline);
  const features = spec.features;
  if (!features) throw new FeatureQueryFailedError(`Pipeline ${spec.name} has no features section`);
  const format = channelFormat(algorithmOf(spec));
  const table = tableName(spec.name);
  const query = readFeatureQuery(spec, table);
  const prefix = lakeLayout.featuresPrefix(spec.name, run.runId);
  // UNLOAD refuses a non-empty target and leaves partial files when it fails: start from an empty prefix.
  await deps.store.delete(await deps.store.list(run.bucket, prefix));
  const location = `s3://${run.bucket}/${prefix}`;
  const sql = featureUnloadSql({ query, database: deps.names.database, table, ...splitSettings(spec), validationRatio: features.validationRatio, target: location, output: format.unload });
  const { queryId } = await deps.queryEngine.startQuery({
    sql,
    database: deps.names.database,
    workgroup: workgroupName(deps.names, spec.name),
    requestToken: `${run.runId}-features-${redriveCount}`,
    timeoutSeconds: features.timeoutSeconds,
  });
  const set = (split: FeatureSplit) => ({ queryId, location: featureSetLocation(location, split), state: 'QUEUED' as const });
  return {
    database: deps.names.database,
    table,
    query: { queryId, location, state: 'QUEUED' },
    contentType: format.contentType,
    train: set('train'),
    validation: set('validation'),
    attempt: 0,
    maxAttempts: Math.max(1, Math.ceil(features.timeoutSeconds / features.pollSeconds)),
    pollSeconds: features.pollSeconds,
    state: 'RUNNING',
    redriveCount,
  };
}

/** The progress with the query's latest status: its state, bytes scanned and engine time, on the query and both sets. */
export function withQueryStatus(progress: FeatureProgress, status: QueryStatus): FeatureProgress {
  const query = {
    ...progress.query,
    state: status.state,
    ...(status.bytesScanned !== undefined ? { bytesScanned: status.bytesScanned } : {}),
    ...(status.engineMs !== undefined ? { engineMs: status.engineMs } : {}),
  };
  return { ...progress, query, train: { ...progress.train, state: status.state }, validation: { ...progress.validation, state: status.state } };
}
