import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { BatchTransformDeps } from '../../core/scoring/batch-transform.js';
import type { ScoringQueryDeps } from '../../core/scoring/scoring-query.js';
import type { CatalogPredictionsDeps } from '../../core/steps/catalog-predictions.js';
import type { NormalizeScoringInputDeps } from '../../core/steps/normalize-scoring-input.js';
import type { RecordScoringRunDeps } from '../../core/steps/record-scoring-run.js';
import type { ValidateScoringFileDeps } from '../../core/steps/validate-scoring-file.js';
import type { WritePredictionsDeps } from '../../core/steps/write-predictions.js';
import { AthenaQueryEngine } from '../adapters/athena-query-engine.js';
import { GlueTables } from '../adapters/glue-tables.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { SageMakerTransform } from '../adapters/sagemaker-transform.js';
import { s3Store } from './s3.js';
import { sagemakerClient } from './sagemaker.js';
import { requirePrefix, sharedDeps } from './shared.js';

/** NormalizeScoringInput and RecordScoringRun: S3 only. */
export function scoringStoreDeps(config: RuntimeConfig): NormalizeScoringInputDeps & RecordScoringRunDeps {
  return { ...sharedDeps(config), store: s3Store() };
}

/** ValidateScoringFile: S3, DuckDB (as ingest), and Glue to define the scoring input table. */
export function validateScoringDeps(config: RuntimeConfig): ValidateScoringFileDeps {
  return { ...sharedDeps(config), store: s3Store(), tables: new GlueTables(new GlueClient({})), names: config.names, workDir: config.workDir, duckdb: config.duckdb };
}

/** StartScoringQuery and GetScoringQueryState: Athena, and S3 to empty the UNLOAD target. */
export function scoringQueryDeps(config: RuntimeConfig): ScoringQueryDeps {
  return { ...sharedDeps(config), store: s3Store(), queryEngine: new AthenaQueryEngine(new AthenaClient({})), names: config.names };
}

/** StartBatchTransform and DescribeBatchTransform: the registry (production model) and Batch Transform. */
export function batchTransformDeps(config: RuntimeConfig): BatchTransformDeps {
  if (!config.sagemakerModelRoleArn) throw new ConfigurationError('SAGEMAKER_MODEL_ROLE_ARN must be set for the batch transform functions');
  return {
    ...sharedDeps(config),
    registry: new SageMakerRegistry(sagemakerClient(), { groupPrefix: requirePrefix(config) }),
    batchScorer: new SageMakerTransform(sagemakerClient(), config.sagemakerModelRoleArn),
    jobPrefix: requirePrefix(config),
  };
}

/** WritePredictions: S3 and DuckDB. */
export function writePredictionsDeps(config: RuntimeConfig): WritePredictionsDeps {
  return { ...sharedDeps(config), store: s3Store(), workDir: config.workDir, duckdb: config.duckdb };
}

/** CatalogPredictions: Glue. */
export function catalogPredictionsDeps(config: RuntimeConfig): CatalogPredictionsDeps {
  return { ...sharedDeps(config), tables: new GlueTables(new GlueClient({})), names: config.names };
}
