/**
 * What one Step Functions execution can hold, and the spec limits that must fit in it (issue 10, item 4).
 *
 * A Standard execution fails when its history reaches 25,000 events, and at its `TimeoutSeconds` (Step Functions
 * developer guide, "Quotas for Standard Workflows": "Maximum execution history size: 25,000 events. If the execution
 * history reaches this quota, the execution will fail"; "Avoid reaching the history quota"). Each Wait / poll / Choice
 * round of a loop writes 9 events (WaitStateEntered/Exited, TaskStateEntered, TaskScheduled, TaskStarted,
 * TaskSucceeded, TaskStateExited, ChoiceStateEntered/Exited; measured), so the polls of every loop together must stay
 * well under 25,000 / 9. Each loop gets its own budget of polls; the arithmetic is in docs/architecture.md ("Workflow
 * limits") and test/unit/spec/workflow-limits.test.ts checks it against the ASL's TimeoutSeconds.
 *
 * The spec loader refuses (never clamps) a spec whose timeouts and poll intervals need more polls than a loop's
 * budget: a clamped limit would stop a training job earlier than its author set, or poll slower than asked, without
 * them knowing. Refusing at load time, before any data moves, names the setting, the bound and the fix.
 */

/** Step Functions' hard cap on the events of one execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;

/** History events one round of a poll loop writes (Wait, the poll Task, the Choice): measured on the workflow. */
export const EVENTS_PER_POLL = 9;

/** The Wait/poll loops of the workflow. */
export type PollLoop = 'crawl' | 'features' | 'training' | 'deployment' | 'evaluation';

/**
 * The most polls each loop may take. Deployment's is fixed by core/steps/deploy.ts (3,600 s at 30 s), the evaluation
 * transforms' by core/evaluation/evaluation-jobs.ts (at least 60 s apart: an hour or more); the others bound what a
 * spec may ask. 2,180 polls × 9 = 19,620 events, leaving 5,380 for the rest of the run (see
 * {@link REST_OF_WORKFLOW_EVENTS}).
 */
export const POLL_BUDGETS: Readonly<Record<PollLoop, number>> = Object.freeze({ crawl: 400, features: 400, training: 1_200, deployment: 120, evaluation: 60 });

/**
 * Events left for everything that is not a poll: the ~20 other states (about 5 events each), the IngestFiles Map
 * (about 7 events per inline item), retries (3 events each) and crawl restarts.
 */
export const REST_OF_WORKFLOW_EVENTS = HISTORY_EVENT_LIMIT - EVENTS_PER_POLL * Object.values(POLL_BUDGETS).reduce((a, b) => a + b, 0);

/**
 * The schema's upper bounds of the poll intervals (core/spec/schema.ts), Deploy's fixed loop (core/steps/deploy.ts),
 * and the evaluation loop's, which polls at `training.pollSeconds` but at least 60 s.
 */
export const MAX_POLL_SECONDS: Readonly<Record<PollLoop, number>> = Object.freeze({ crawl: 300, features: 300, training: 600, deployment: 30, evaluation: 600 });

/**
 * The longest any loop can run once its polls fit its budget: budget × the longest poll interval. A loop's own limit
 * (the spec's timeout, through its poll count) is never longer.
 */
export const LOOP_SECONDS: Readonly<Record<PollLoop, number>> = Object.freeze({
  crawl: POLL_BUDGETS.crawl * MAX_POLL_SECONDS.crawl,
  features: POLL_BUDGETS.features * MAX_POLL_SECONDS.features,
  training: POLL_BUDGETS.training * MAX_POLL_SECONDS.training,
  deployment: POLL_BUDGETS.deployment * MAX_POLL_SECONDS.deployment,
  evaluation: POLL_BUDGETS.evaluation * MAX_POLL_SECONDS.evaluation,
});

/**
 * Waits of the retry policies (deploy/retry-policies.js) at their longest: `capacity` on StartTraining/StartTuning,
 * 60 × (1 + 2 + 4 + 8 + 16) = 1,860 s, and `endpoint-busy` on Deploy, 3,720 s.
 */
export const RETRY_WAIT_SECONDS = 1_860 + 3_720;

/**
 * The execution's `TimeoutSeconds` in state-machines/sluice.asl.json: 13 days. At least the sum of every loop's
 * longest run and the retry waits (1,005,180 s), plus 118,020 s (32.8 h) for ingest and the other states. A timeout still
 * ends in RecordFailure: the execution status-change event records it and stops the run's jobs.
 */
export const EXECUTION_TIMEOUT_SECONDS = 1_123_200;

/** The spec fields the limits read (a parsed spec, before or after freezing). */
export interface LimitedSpec {
  readonly catalog: { readonly pollSeconds: number; readonly timeoutSeconds: number };
  readonly features?: { readonly pollSeconds: number; readonly timeoutSeconds: number } | undefined;
  readonly training?: { readonly pollSeconds: number; readonly maxRuntimeSeconds: number; readonly maxWaitSeconds?: number | undefined } | undefined;
  readonly tuning?: { readonly enabled: boolean; readonly maxJobs: number; readonly maxParallelJobs: number } | undefined;
}

/** Polls of the crawl loop: one per `catalog.pollSeconds` until `catalog.timeoutSeconds`. */
export function crawlPolls(spec: LimitedSpec): number {
  return Math.max(1, Math.ceil(spec.catalog.timeoutSeconds / spec.catalog.pollSeconds));
}

/** Polls of the feature query loop: one per `features.pollSeconds` until `features.timeoutSeconds`. */
export function featurePolls(features: NonNullable<LimitedSpec['features']>): number {
  return Math.max(1, Math.ceil(features.timeoutSeconds / features.pollSeconds));
}

/**
 * Seconds the training loop waits for its job: the job's own limit (`maxWaitSeconds` for spot, else
 * `maxRuntimeSeconds`; for a tuning job, times its waves: `maxJobs` run `maxParallelJobs` at a time), a quarter more
 * and 10 minutes for startup and upload, which SageMaker's limit does not count.
 */
export function trainingLoopSeconds(spec: LimitedSpec, mode: 'train' | 'tune'): number {
  const training = spec.training;
  const waves = mode === 'tune' && spec.tuning ? Math.ceil(spec.tuning.maxJobs / Math.max(1, spec.tuning.maxParallelJobs)) : 1;
  const runtime = (training?.maxWaitSeconds ?? training?.maxRuntimeSeconds ?? 3600) * waves;
  return runtime * 1.25 + 600;
}

/** Polls of the training or tuning loop (core/training/training-job.ts sets `maxAttempts` to this). */
export function trainingPolls(spec: LimitedSpec, mode: 'train' | 'tune'): number {
  return Math.ceil(trainingLoopSeconds(spec, mode) / (spec.training?.pollSeconds ?? 30));
}

/**
 * The settings of `spec` whose loops would not fit the workflow: each message names the setting, the polls it needs,
 * the bound, and the smallest poll interval that fits. Empty when everything fits.
 */
export function workflowLimitProblems(spec: LimitedSpec): string[] {
  const problems: string[] = [];
  const check = (loop: PollLoop, polls: number, section: string, limitSetting: string, limitSeconds: number): void => {
    const budget = POLL_BUDGETS[loop];
    if (polls <= budget) return;
    const fits = Math.ceil(limitSeconds / budget);
    const raise = fits <= MAX_POLL_SECONDS[loop] ? `set ${section}.pollSeconds to at least ${fits} or lower ${limitSetting}` : `lower ${limitSetting}`;
    problems.push(
      `${section}.pollSeconds: ${limitSetting} needs ${polls} polls, more than the ${budget} one execution holds for this loop ` +
        `(Step Functions keeps ${HISTORY_EVENT_LIMIT} history events, ${EVENTS_PER_POLL} per poll; docs/architecture.md, "Workflow limits"): ${raise}`,
    );
  };
  check('crawl', crawlPolls(spec), 'catalog', 'catalog.timeoutSeconds', spec.catalog.timeoutSeconds);
  if (spec.features) check('features', featurePolls(spec.features), 'features', 'features.timeoutSeconds', spec.features.timeoutSeconds);
  if (spec.training) {
    const mode = spec.tuning?.enabled ? 'tune' : 'train';
    const setting = `${spec.training.maxWaitSeconds === undefined ? 'training.maxRuntimeSeconds' : 'training.maxWaitSeconds'}${mode === 'tune' ? ' × ⌈tuning.maxJobs / tuning.maxParallelJobs⌉' : ''}`;
    check('training', trainingPolls(spec, mode), 'training', setting, trainingLoopSeconds(spec, mode));
  }
  return problems;
}
