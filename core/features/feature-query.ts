import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { tableName, workgroupName } from '../run/naming.js';
import type { RunContext } from '../run/run-context.js';
import type { FeatureProgress, SplitQuery } from '../run/workflow-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { specFileForUser } from '../spec/spec-file.js';
import type { FeatureSplit } from './feature-sql.js';
import { featureUnloadSql, readFeatureQuery, splitSettings } from './feature-sql.js';

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

/** The splits, each its own UNLOAD query. */
export const FEATURE_SPLITS: readonly FeatureSplit[] = ['train', 'validation'];

/**
 * Starts the feature queries of a run: reads the pipeline's features.sql (one SELECT over its table, label first),
 * wraps it once per split (a deterministic md5 split on the spec's key columns) in an UNLOAD to
 * `features/<pipeline>/<runId>/<split>/` (emptied first), and starts both queries. Request tokens derive from the run
 * and the redrive count, so a retried state does not start them twice and a redrive starts them again.
 */
export async function startFeatureQueries({ run, redriveCount }: { run: RunContext; redriveCount: number }, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const spec = deps.specs.get(run.pipeline);
  const features = spec.features;
  if (!features) throw new FeatureQueryFailedError(`Pipeline ${spec.name} has no features section`);
  const table = tableName(spec.name);
  const query = readFeatureQuery(spec, table);
  const started = {} as Record<FeatureSplit, SplitQuery>;
  for (const split of FEATURE_SPLITS) {
    const prefix = `${lakeLayout.featuresPrefix(spec.name, run.runId)}${split}/`;
    // UNLOAD refuses a non-empty target and leaves partial files when it fails: start from an empty prefix.
    await deps.store.delete(await deps.store.list(run.bucket, prefix));
    const location = `s3://${run.bucket}/${prefix}`;
    const sql = featureUnloadSql({ query, database: deps.names.database, table, ...splitSettings(spec), validationRatio: features.validationRatio, split, target: location });
    const { queryId } = await deps.queryEngine.startQuery({ sql, database: deps.names.database, workgroup: workgroupName(deps.names, spec.name), requestToken: `${run.runId}-features-${split}-${redriveCount}`, timeoutSeconds: features.timeoutSeconds });
    started[split] = { queryId, location, state: 'QUEUED' };
  }
  return {
    database: deps.names.database,
    table,
    train: started.train,
    validation: started.validation,
    attempt: 0,
    maxAttempts: Math.max(1, Math.ceil(features.timeoutSeconds / features.pollSeconds)),
    pollSeconds: features.pollSeconds,
    state: 'RUNNING',
    redriveCount,
  };
}
