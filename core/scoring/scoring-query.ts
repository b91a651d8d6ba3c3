/**
 * The scoring query: the pipeline's own feature query in scoring mode (core/features/scoring-sql.ts) over one scoring
 * run's valid rows, unloaded to the run's transform input in the format the model container reads for inference
 * (core/scoring/scoring-format.ts). One UNLOAD, the same SQL on Athena and on the local engine, as training's.
 */
import { TerminalStepError } from '../errors.js';
import { featureColumnNames, readFeatureQuery } from '../features/feature-sql.js';
import { scoringSelectSql } from '../features/scoring-sql.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { tableName, workgroupName } from '../run/naming.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { SOURCE_ROW_COLUMN } from '../spec/scoring-rules.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import { scoringFormat, transformInputSql } from './scoring-format.js';
import type { ScoringContext, ScoringQuery } from './scoring-state.js';
import { SCORE_RUN_COLUMN, scoringInputTableName } from './scoring-tables.js';

/** The scoring query failed, was cancelled, or outlasted the spec's features.timeoutSeconds. */
export class ScoringQueryFailedError extends TerminalStepError {
  public override readonly name = 'ScoringQueryFailedError';
}

/** What StartScoringQuery and GetScoringQueryState need. */
export interface ScoringQueryDeps {
  queryEngine: QueryEngine;
  store: ObjectStore;
  specs: SpecCatalog;
  names: ResourceNames;
}

/** The algorithm that scores a pipeline's rows. */
export function scoringAlgorithm(spec: PipelineSpec): 'xgboost' | 'blazingtext' {
  return spec.training?.algorithm === 'blazingtext' ? 'blazingtext' : 'xgboost';
}

/**
 * The scoring UNLOAD: `UNLOAD (<transform input SELECT>) TO '<target>' WITH (<the algorithm's format>)` (Athena user
 * guide, UNLOAD, https://docs.aws.amazon.com/athena/latest/ug/unload.html). The relation is the run's partition of the
 * scoring input table; every contract column is there (NULL where the file lacked it), so the label is computed as
 * training computes it, from NULL when the file had no label.
 */
export function scoringUnloadSql(spec: PipelineSpec, database: string, scoreRunId: string, target: string): string {
  const relation = `(SELECT * FROM ${quoteIdentifier(database)}.${quoteIdentifier(scoringInputTableName(spec.name))} WHERE ${quoteIdentifier(SCORE_RUN_COLUMN)} = ${quoteLiteral(scoreRunId)}) AS scoring_input`;
  const query = scoringSelectSql(spec, relation, { idColumns: [SOURCE_ROW_COLUMN], labelPresent: true });
  const algorithm = scoringAlgorithm(spec);
  const columnCount = 1 + featureColumnNames(readFeatureQuery(spec, tableName(spec.name)), spec.contract.columns.map((c) => c.name)).length;
  return `UNLOAD (${transformInputSql(algorithm, query, columnCount)}\n) TO ${quoteLiteral(target)} WITH (${scoringFormat(algorithm).unloadOptions})`;
}

/** Starts the run's scoring query (the target emptied first: UNLOAD refuses a folder holding data). */
export async function startScoringQuery(scoring: ScoringContext, redriveCount: number, deps: ScoringQueryDeps): Promise<ScoringQuery> {
  const spec = deps.specs.get(scoring.pipeline);
  const features = spec.features;
  if (!features) throw new ScoringQueryFailedError(`Pipeline ${spec.name} has no features section`);
  const prefix = lakeLayout.transformInputPrefix(spec.name, scoring.scoreRunId);
  await deps.store.deletePrefix(scoring.bucket, prefix);
  const location = `s3://${scoring.bucket}/${prefix}`;
  const { queryId } = await deps.queryEngine.startQuery({
    sql: scoringUnloadSql(spec, deps.names.database, scoring.scoreRunId, location),
    database: deps.names.database,
    workgroup: workgroupName(deps.names, spec.name),
    // Athena's ClientRequestToken takes 32-128 characters: the run id with the redrive count, padded.
    requestToken: `${scoring.scoreRunId}-scoring-${redriveCount}`.padEnd(32, '-'),
    timeoutSeconds: features.timeoutSeconds,
  });
  return { queryId, location, state: 'QUEUED', attempt: 0, maxAttempts: Math.max(1, Math.ceil(features.timeoutSeconds / features.pollSeconds)), pollSeconds: features.pollSeconds, redriveCount };
}
