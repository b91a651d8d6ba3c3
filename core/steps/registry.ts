// RecordFailure is no Task state: it runs outside the failed execution (core/steps/record-failure.ts), on the
// execution status-change event in the cloud and after the run locally, so the execution stays redrivable.
//
// Each state's step module is loaded when that state first runs (`import()`), not when the registry loads: a local run
// enters about half of these states, and loading all of them (DescribeEvaluationTransform's pulls DuckDB's native
// package in) cost a run about 0.6 s before its first state (bench/e2e, issue 16).
const loaders = {
  NormalizeInput: async () => (await import('./normalize-input.js')).normalizeInput,
  ValidateAndPartition: async () => (await import('./validate-and-partition.js')).validateAndPartition,
  StartCrawler: async () => (await import('./start-crawler.js')).startCrawler,
  GetCrawlerState: async () => (await import('./get-crawler-state.js')).getCrawlerState,
  StartFeatureQuery: async () => (await import('./start-feature-query.js')).startFeatureQuery,
  GetFeatureQueryState: async () => (await import('./get-feature-query-state.js')).getFeatureQueryState,
  StartTraining: async () => (await import('./start-training.js')).startTraining,
  DescribeTraining: async () => (await import('./describe-training.js')).describeTraining,
  StartTuning: async () => (await import('./start-tuning.js')).startTuning,
  DescribeTuning: async () => (await import('./describe-tuning.js')).describeTuning,
  StartEvaluationTransform: async () => (await import('./start-evaluation-transform.js')).startEvaluationTransform,
  DescribeEvaluationTransform: async () => (await import('./describe-evaluation-transform.js')).describeEvaluationTransform,
  ComputeEvaluationMetrics: async () => (await import('./compute-evaluation-metrics.js')).computeEvaluationMetrics,
  EvaluateModel: async () => (await import('./evaluate-model.js')).evaluateModel,
  Deploy: async () => (await import('./deploy.js')).deploy,
  GetEndpointState: async () => (await import('./get-endpoint-state.js')).getEndpointState,
  SmokeTest: async () => (await import('./smoke-test.js')).smokeTest,
  PromoteModel: async () => (await import('./promote-model.js')).promoteModel,
  RecordRun: async () => (await import('./record-run.js')).recordRun,
  // The scoring workflow's steps (state-machines/sluice-score.asl.json).
  NormalizeScoringInput: async () => (await import('./normalize-scoring-input.js')).normalizeScoringInput,
  ValidateScoringFile: async () => (await import('./validate-scoring-file.js')).validateScoringFile,
  StartScoringQuery: async () => (await import('./start-scoring-query.js')).startScoringQuery,
  GetScoringQueryState: async () => (await import('./get-scoring-query-state.js')).getScoringQueryState,
  StartBatchTransform: async () => (await import('./start-batch-transform.js')).startBatchTransform,
  DescribeBatchTransform: async () => (await import('./describe-batch-transform.js')).describeBatchTransform,
  WritePredictions: async () => (await import('./write-predictions.js')).writePredictions,
  CatalogPredictions: async () => (await import('./catalog-predictions.js')).catalogPredictions,
  RecordScoringRun: async () => (await import('./record-scoring-run.js')).recordScoringRun,
};

/** Each state's step function, as its module exports it. */
type Steps = { [S in keyof typeof loaders]: Awaited<ReturnType<(typeof loaders)[S]>> };

/** The name of a Task state of the workflow, as the ASL spells it. */
export type StateName = keyof typeof loaders;

/** What the step of state `S` needs. */
export type StepDeps<S extends StateName> = Parameters<Steps[S]>[1];

/** What the step of state `S` returns: the state's result, before its ResultSelector and ResultPath. */
export type StepOutput<S extends StateName> = Awaited<ReturnType<Steps[S]>>;

/** The step of state `S`: the state's input (validated by the step) and its dependencies, to its result. */
export type Step<S extends StateName> = (input: unknown, deps: StepDeps<S>) => Promise<StepOutput<S>>;

/**
 * The step of state `S`, its module loaded on the first call (and once: later calls reuse it). A load that fails is
 * not kept, so the next call tries again rather than repeating a stale error.
 */
function loadedOnFirstCall<S extends StateName>(state: S): Step<S> {
  const load = loaders[state] as () => Promise<Step<S>>;
  let loading: Promise<Step<S>> | undefined;
  return (input, deps) => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading.then((step) => step(input, deps));
  };
}

/** Every state name the registry knows, in workflow order. */
export const stateNames = Object.keys(loaders) as StateName[];

/**
 * The step registry: the one table from a Task state's name to the step that implements it. Each step lives in
 * `core/steps/<state in kebab case>.ts`; the Lambda function `functions/<state in kebab case>/handler.ts` runs it on
 * AWS, and the local runtime binds every state to it (local/runtime/local-bindings.ts), so both runtimes run the same
 * function for the same state. test/unit/architecture/step-registry.test.ts checks every state of every state machine
 * against this table, its function, its deploy entry and its local binding, and that no step here is left unused.
 * Each entry loads its step's module on its first call (see `loaders` above).
 *
 * Handlers import their own step module rather than this table: the table names every step, and a bundler following
 * its `import()`s would put every step's code (and DuckDB's native package, which only ValidateAndPartition ships)
 * into each function's bundle.
 *
 * @example
 * const progress = await stepRegistry.GetCrawlerState({ run, crawl }, crawlDeps);
 */
export const stepRegistry: { readonly [S in StateName]: Step<S> } = Object.fromEntries(
  stateNames.map((state) => [state, loadedOnFirstCall(state)]),
) as { readonly [S in StateName]: Step<S> };

/** Whether `name` is a state the registry has a step for. */
export function isStateName(name: string): name is StateName {
  return Object.hasOwn(loaders, name);
}
