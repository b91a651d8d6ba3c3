/**
 * Real-time inference on raw records in the cloud (functions/infer): what the local endpoint does for raw records,
 * in front of the pipeline's SageMaker endpoint.
 *
 * Primary course:
 * 1. find the pipeline's spec (bundled in the function's zip) and its raw-record serving spec (cached per pipeline);
 * 2. read the body as raw records (JSON records, or CSV whose header names contract columns) and check each against
 *    the contract: the first broken rule answers 400 naming the record, the column and the rule;
 * 3. turn them into the model's input with the pipeline's feature query in scoring mode, on an in-memory DuckDB opened
 *    once per execution environment with its statements prepared once (core/serving/raw-featurizer.ts);
 * 4. invoke the pipeline's endpoint in the model's own content type: `text/csv` feature rows for XGBoost (the 1.7-1
 *    container reads "features only, no label, no header"; an empty field is a missing value), BlazingText's
 *    `{"instances": [...]}` JSON for a text model (SageMaker developer guide, XGBoost algorithm "Input/Output
 *    Interface" and BlazingText "Inference");
 * 5. answer the predictions with the user's labels (core/serving/raw-answer.ts).
 */
import { TerminalStepError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { EndpointInvoker } from '../ports/model-hosting.js';
import { labelledPredictions, labelledTextPredictions } from './raw-answer.js';
import type { RawPrediction } from './raw-answer.js';
import { RawFeaturizer } from './raw-featurizer.js';
import { checkRawRecords } from './raw-records.js';
import { readRawRequest } from './raw-request.js';
import { rawServingSpecOf } from './raw-serving-spec-of.js';
import type { RawServingSpec } from './raw-serving-spec.js';

/** A request the inference function cannot read: not raw records, or for a pipeline it does not serve (4xx). */
export class InferenceRequestError extends TerminalStepError {
  public override readonly name = 'InferenceRequestError';

  public constructor(
    /** HTTP status to answer with. */
    public readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The endpoint answered something the function cannot read as predictions. */
export class InferenceAnswerError extends TerminalStepError {
  public override readonly name = 'InferenceAnswerError';
}

/** One inference request, as the handler reads it from the function URL event. */
export interface InferRequest {
  readonly pipeline: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** The answer: one prediction per record, in order, and the endpoint that made them. */
export interface InferResult {
  readonly predictions: readonly RawPrediction[];
  readonly endpointName: string;
}

/** What the use case needs. */
export interface InferDeps {
  readonly specs: SpecCatalog;
  readonly invoker: EndpointInvoker;
  /** The stage's endpoints are `<endpointPrefix><pipeline>` (core/steps/deploy.ts). */
  readonly endpointPrefix: string;
  readonly logger: Logger;
}

interface Prepared {
  readonly spec: RawServingSpec;
  readonly objective: string;
  readonly featurizer: Promise<RawFeaturizer>;
}

/** Per execution environment: a warm invocation reuses the prepared statements of its pipeline. */
const prepared = new Map<string, Prepared>();

/**
 * Scores raw records with the pipeline's endpoint.
 * @throws InferenceRequestError (404 unknown pipeline or none to serve, 415 not raw records)
 * @throws RawRecordError (400) naming the record, column and rule
 * @throws EndpointInvocationError, TransientServiceError from the endpoint
 */
export async function inferRawRecords(request: InferRequest, deps: InferDeps): Promise<InferResult> {
  const pipeline = preparedFor(request.pipeline, deps);
  const raw = readRawRequest(request.body, request.contentType, pipeline.spec);
  if (raw === undefined) {
    throw new InferenceRequestError(
      415,
      `send raw records of pipeline ${pipeline.spec.pipeline}: application/json (a record, an array of records or {"instances": [...]}) or text/csv whose header names contract columns`,
    );
  }
  const checked = checkRawRecords(pipeline.spec, raw.records, raw.kind, raw.kind === 'csv' ? pipeline.spec.nullValues : ['']);
  const featurizer = await pipeline.featurizer;
  const features = await featurizer.featurize(checked);
  const endpointName = `${deps.endpointPrefix}${pipeline.spec.pipeline}`;
  if (features.nRows === 0) return { predictions: [], endpointName };
  if (pipeline.spec.algorithm === 'blazingtext') {
    const answer = await deps.invoker.invoke(endpointName, {
      contentType: 'application/json',
      accept: 'application/json',
      body: JSON.stringify({ instances: features.texts, configuration: { k: 1 } }),
    });
    return { predictions: labelledTextPredictions(readTextAnswer(answer.body, features.nRows)), endpointName };
  }
  const answer = await deps.invoker.invoke(endpointName, { contentType: 'text/csv', accept: 'application/json', body: csvRows(features.values, features.nRows, features.nCols) });
  const scores = readXgboostAnswer(answer.body, features.nRows);
  return { predictions: labelledPredictions(scores, features.nRows, pipeline.objective, featurizer.labelNames), endpointName };
}

function preparedFor(name: string, deps: InferDeps): Prepared {
  let entry = prepared.get(name);
  if (entry === undefined) {
    let spec;
    try {
      spec = deps.specs.get(name);
    } catch {
      throw new InferenceRequestError(404, `no pipeline "${name}" is deployed with this function`);
    }
    const rawSpec = rawServingSpecOf(spec);
    if (rawSpec === undefined || spec.deployment === undefined) throw new InferenceRequestError(404, `pipeline "${name}" deploys no endpoint to score raw records with`);
    const objective = String(spec.training?.hyperparameters['objective'] ?? 'reg:squarederror');
    const featurizer = RawFeaturizer.open(rawSpec);
    entry = { spec: rawSpec, objective, featurizer };
    prepared.set(name, entry);
    // A featurizer that failed to open is opened again by the next invocation.
    featurizer.catch(() => prepared.delete(name));
    deps.logger.info('raw-record featurizer opened', { pipeline: name });
  }
  return entry;
}

/** Feature rows as the XGBoost container reads CSV: shortest round-trip text of each float32, NaN as an empty field. */
export function csvRows(values: Float32Array, nRows: number, nCols: number): string {
  const lines: string[] = [];
  for (let r = 0; r < nRows; r++) {
    const cells: string[] = [];
    for (let j = 0; j < nCols; j++) {
      const v = values[r * nCols + j] ?? Number.NaN;
      cells.push(Number.isNaN(v) ? '' : String(v));
    }
    lines.push(cells.join(','));
  }
  return lines.join('\n');
}

/**
 * The XGBoost container's JSON answer, `{"predictions": [{"score": v}, ...]}` (`{"score": [p0, p1, ...]}` for
 * multi:softprob; sagemaker-xgboost-container serve_utils `encode_predictions_as_json`), as float32 values row-major.
 */
function readXgboostAnswer(body: string, nRows: number): Float32Array {
  let scores: (number | number[])[];
  try {
    const parsed = JSON.parse(body) as { predictions?: { score?: number | number[] }[] };
    scores = (parsed.predictions ?? []).map((p) => p.score ?? Number.NaN);
  } catch (cause) {
    throw new InferenceAnswerError(`the endpoint's answer is not the XGBoost container's JSON: ${body.slice(0, 200)}`, { cause });
  }
  if (scores.length !== nRows) throw new InferenceAnswerError(`the endpoint answered ${scores.length} predictions for ${nRows} records`);
  return new Float32Array(scores.flat());
}

/** BlazingText's answer, `[{"label": ["__label__…"], "prob": [p]}, ...]`. */
function readTextAnswer(body: string, nRows: number): { labels: string[]; probabilities: number[] }[] {
  let answers: { label?: string[]; prob?: number[] }[];
  try {
    answers = JSON.parse(body) as { label?: string[]; prob?: number[] }[];
  } catch (cause) {
    throw new InferenceAnswerError(`the endpoint's answer is not BlazingText's JSON: ${body.slice(0, 200)}`, { cause });
  }
  if (!Array.isArray(answers) || answers.length !== nRows) throw new InferenceAnswerError(`the endpoint answered ${Array.isArray(answers) ? answers.length : 0} predictions for ${nRows} records`);
  return answers.map((a) => ({ labels: a.label ?? [], probabilities: a.prob ?? [] }));
}
