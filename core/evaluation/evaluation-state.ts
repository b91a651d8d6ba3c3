import * as z from 'zod';

/**
 * `$.evaluationJobs`: the champion/challenger transforms between training and EvaluateModel
 * (StartEvaluationTransform, DescribeEvaluationTransform, ComputeEvaluationMetrics; core/evaluation/evaluation-jobs.ts).
 */

/** Which model a job scores: the registry's production version, or the run's candidate. */
export const EVALUATED_ROLES = ['production', 'candidate'] as const;

/** A model an evaluation job scores. */
export type EvaluatedRole = (typeof EVALUATED_ROLES)[number];

/** One transform job over the candidate's validation set. */
export const evaluationJobSchema = z
  .object({
    role: z.enum(EVALUATED_ROLES),
    jobName: z.string().min(1).max(63),
    /** The production model's registry version; absent for the candidate (not registered yet). */
    version: z.number().int().positive().optional(),
    modelArtifact: z.string(),
    image: z.string(),
    /** `s3://…/transform-output/<role>/`: one `<input file>.out` per input file. */
    output: z.string(),
    state: z.enum(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']),
  })
  .strict();

/** One evaluation transform job. */
export type EvaluationJob = z.infer<typeof evaluationJobSchema>;

/** A model's full evaluation on the candidate's set, as a trainer reports its own (`$.training.evaluation`). */
export const scoredEvaluationSchema = z.object({ version: z.number().int().positive().optional(), evaluation: z.record(z.string(), z.unknown()) }).strict();

/** The evaluation transforms' progress and, once computed, each model's evaluation. */
export const evaluationJobsSchema = z
  .object({
    /** `Skipped`: nothing to score (no production model to compare, and the candidate has its own evaluation). */
    state: z.enum(['Skipped', 'InProgress', 'Completed', 'Scored']),
    /** Why nothing was scored, when Skipped. */
    reason: z.string().optional(),
    jobs: z.array(evaluationJobSchema),
    /** `s3://…/transform-input/`: the validation rows in the format the container reads for inference. */
    input: z.string().optional(),
    /** Validation rows written to the transform input. */
    rows: z.number().int().nonnegative().optional(),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    /** The execution's redrive count when the jobs started: a redrive after a failed job starts new ones. */
    redriveCount: z.number().int().nonnegative(),
    results: z.object({ production: scoredEvaluationSchema.optional(), candidate: scoredEvaluationSchema.optional() }).strict().optional(),
  })
  .strict();

/** The evaluation transforms' progress at `$.evaluationJobs`. */
export type EvaluationJobs = z.infer<typeof evaluationJobsSchema>;
