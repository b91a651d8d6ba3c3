/**
 * The model pointer's `rawRecords` field: what local Deploy and `sluice serve` record so the endpoint answers raw
 * records with the spec the model was deployed with (local/serving/raw-route.ts).
 */
import { InvalidFeatureQueryError } from '../../core/features/feature-sql.js';
import { rawServingSpecOf } from '../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';

/**
 * The raw-record serving spec of a pipeline, or undefined when it has no feature query or its query cannot score
 * row by row (a GROUP BY, a `*`): such an endpoint answers featurized input only, as before.
 */
export function rawRecordsOf(spec: PipelineSpec): RawServingSpec | undefined {
  try {
    return rawServingSpecOf(spec);
  } catch (error) {
    if (error instanceof InvalidFeatureQueryError) return undefined;
    throw error;
  }
}

/** The pointer's `rawRecords` field for a pipeline (none when it cannot answer raw records). */
export function rawRecordsField(spec: PipelineSpec): { rawRecords?: RawServingSpec } {
  const rawRecords = rawRecordsOf(spec);
  return rawRecords === undefined ? {} : { rawRecords };
}
