import { deploy } from './deploy.js';
import { describeTraining } from './describe-training.js';
import { describeTuning } from './describe-tuning.js';
import { evaluateModel } from './evaluate-model.js';
import { computeEvaluationMetrics } from './compute-evaluation-metrics.js';
import { describeEvaluationTransform } from './describe-evaluation-transform.js';
import { startEvaluationTransform } from './start-evaluation-transform.js';
import { getCrawlerState } from './get-crawler-state.js';
import { getEndpointState } from './get-endpoint-state.js';
import { getFeatureQueryState } from './get-feature-query-state.js';
import { normalizeInput } from './normalize-input.js';
import { promoteModel } from './promote-model.js';
import { recordRun } from './record-run.js';
import { smokeTest } from './smoke-test.js';
import { startCrawler } from './start-crawler.js';
import { startFeatureQuery } from './start-feature-query.js';
import { startTraining } from './start-training.js';
import { startTuning } from './start-tuning.js';
import { validateAndPartition } from './validate-and-partition.js';
// The scoring workflow's steps (state-machines/sluice-score.asl.json).
import { catalogPredictions } from './catalog-predictions.js';
import { describeBatchTransform } from './describe-batch-transform.js';
import { getScoringQueryState } from './get-scoring-query-state.js';
import { normalizeScoringInput } from './normalize-scoring-input.js';
import { recordScoringRun } from './record-scoring-run.js';
import { startBatchTransform } from './start-batch-transform.js';
import { startScoringQuery } from './start-scoring-query.js';
import { validateScoringFile } from './validate-scoring-file.js';
import { writePredictions } from './write-predictions.js';

// RecordFailure is no Task state: it runs outside the failed execution (core/steps/record-failure.ts), on the
// execution status-change event in the cloud and after the run locally, so the execution stays redrivable.
const steps = {
  NormalizeInput: normalizeInput,
  ValidateAndPartition: validateAndPartition,
  StartCrawler: startCrawler,
  GetCrawlerState: getCrawlerState,
  StartFeatureQuery: startFeatureQuery,
  GetFeatureQueryState: getFeatureQueryState,
  StartTraining: startTraining,
  DescribeTraining: describeTraining,
  StartTuning: startTuning,
  DescribeTuning: describeTuning,
  StartEvaluationTransform: startEvaluationTransform,
  DescribeEvaluationTransform: describeEvaluationTransform,
  ComputeEvaluationMetrics: computeEvaluationMetrics,
  EvaluateModel: evaluateModel,
  Deploy: deploy,
  GetEndpointState: getEndpointState,
  SmokeTest: smokeTest,
  PromoteModel: promoteModel,
  RecordRun: recordRun,
  NormalizeScoringInput: normalizeScoringInput,
  ValidateScoringFile: validateScoringFile,
  StartScoringQuery: startScoringQuery,
  GetScoringQueryState: getScoringQueryState,
  StartBatchTransform: startBatchTransform,
  DescribeBatchTransform: describeBatchTransform,
  WritePredictions: writePredictions,
  CatalogPredictions: catalogPredictions,
  RecordScoringRun: recordScoringRun,
};

/** The name of a Task state of the workflow, as the ASL spells it. */
export type StateName = keyof typeof steps;

/** What the step of state `S` needs. */
export type StepDeps<S extends StateName> = Parameters<(typeof steps)[S]>[1];

/** What the step of state `S` returns: the state's result, before its ResultSelector and ResultPath. */
export type StepOutput<S extends StateName> = Awaited<ReturnType<(typeof steps)[S]>>;

/** The step of state `S`: the state's input (validated by the step) and its dependencies, to its result. */
export type Step<S extends StateName> = (input: unknown, deps: StepDeps<S>) => Promise<StepOutput<S>>;

/**
 * The step registry: the one table from a Task state's name to the step that implements it. Each step lives in
 * `core/steps/<state in kebab case>.ts`; the Lambda function `functions/<state in kebab case>/handler.ts` runs it on
 * AWS, and the local runtime binds every state to it (local/runtime/local-bindings.ts), so both runtimes run the same
 * function for the same state. test/unit/architecture/step-registry.test.ts checks every state of every state machine
 * against this table, its function, its deploy entry and its local binding, and that no step here is left unused.
 *
 * Handlers import their own step module rather than this table: the table imports every step, and a function's
 * bundle would then carry every step's code (and DuckDB's native package, which only ValidateAndPartition ships).
 *
 * @example
 * const progress = await stepRegistry.GetCrawlerState({ run, crawl }, crawlDeps);
 */
export const stepRegistry: { readonly [S in StateName]: Step<S> } = steps;

/** Every state name the registry knows, in workflow order. */
export const stateNames = Object.keys(steps) as StateName[];

/** Whether `name` is a state the registry has a step for. */
export function isStateName(name: string): name is StateName {
  return Object.hasOwn(steps, name);
}
