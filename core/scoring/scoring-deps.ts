/** What the scoring workflow's steps need together: each runtime builds one object of this shape. */
import type { CatalogPredictionsDeps } from '../steps/catalog-predictions.js';
import type { NormalizeScoringInputDeps } from '../steps/normalize-scoring-input.js';
import type { RecordScoringRunDeps } from '../steps/record-scoring-run.js';
import type { ValidateScoringFileDeps } from '../steps/validate-scoring-file.js';
import type { WritePredictionsDeps } from '../steps/write-predictions.js';
import type { BatchTransformDeps } from './batch-transform.js';
import type { ScoringQueryDeps } from './scoring-query.js';

/** The union of the scoring steps' dependencies. */
export type ScoringDeps = NormalizeScoringInputDeps &
  ValidateScoringFileDeps &
  ScoringQueryDeps &
  BatchTransformDeps &
  WritePredictionsDeps &
  CatalogPredictionsDeps &
  RecordScoringRunDeps;
