/**
 * The evaluation transforms' formats and the helpers the steps share; nothing here loads DuckDB, so the
 * ComputeEvaluationMetrics function's bundle does not carry it (see core/evaluation/evaluation-jobs.ts for the formats).
 */
import { TerminalStepError } from '../errors.js';
import type { TrainingAlgorithm } from '../ports/trainer.js';
import type { PipelineSpec } from '../spec/load-spec.js';

/** A transform output the metrics cannot be read from (a line of the wrong shape, no line at all). */
export class EvaluationOutputError extends TerminalStepError {
  public override readonly name = 'EvaluationOutputError';
}

/** The transform input and output format of one algorithm for evaluation (see the module comment). */
export interface EvaluationFormat {
  contentType: string;
  accept: string;
  inputFilter: string;
  outputFilter: string;
  /** The input file's name under `transform-input/` (gzip: the request says `CompressionType: Gzip`). */
  inputFile: string;
}

/** The evaluation transform format of an algorithm; `values` is the model's answer width (`num_class` for softprob). */
export function evaluationFormat(algorithm: TrainingAlgorithm, values: number): EvaluationFormat {
  if (algorithm === 'blazingtext') {
    return { contentType: 'application/jsonlines', accept: 'application/jsonlines', inputFilter: '$.features', outputFilter: "$['label','SageMakerOutput']", inputFile: 'validation.jsonl.gz' };
  }
  return { contentType: 'text/csv', accept: 'text/csv', inputFilter: '$[1:]', outputFilter: values > 1 ? '$' : '$[0,-1]', inputFile: 'validation.csv.gz' };
}

/** The pipeline's training algorithm (XGBoost unless the spec says otherwise). */
export function algorithmOf(spec: PipelineSpec): TrainingAlgorithm {
  return spec.training?.algorithm ?? 'xgboost';
}

/** The bucket and key of an `s3://` URI. */
export function splitUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (match?.[1] === undefined || match[2] === undefined) throw new EvaluationOutputError(`Not an s3:// location: ${uri}`);
  return { bucket: match[1], key: match[2] };
}
