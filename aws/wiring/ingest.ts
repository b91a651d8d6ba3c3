import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { NormalizeInputDeps } from '../../core/steps/normalize-input.js';
import type { RecordRunDeps } from '../../core/manifest/run-manifest.js';
import type { ValidateAndPartitionDeps } from '../../core/steps/validate-and-partition.js';
import { s3Store } from './s3.js';
import { sharedDeps } from './shared.js';

/** Dependencies of NormalizeInput, ValidateAndPartition and RecordRun: S3 and DuckDB only. */
export function ingestDeps(config: RuntimeConfig): NormalizeInputDeps & ValidateAndPartitionDeps & RecordRunDeps {
  return { ...sharedDeps(config), store: s3Store(), workDir: config.workDir, duckdb: config.duckdb };
}
