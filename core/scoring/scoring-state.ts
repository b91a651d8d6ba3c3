/**
 * The scoring workflow's state (state-machines/sluice-score.asl.json): each section is one `$.<key>` a state writes
 * (its ResultPath) and later states read, validated at each step's edge as the training workflow's are
 * (core/run/workflow-state.ts).
 */
import * as z from 'zod';
import { rowCountsSchema } from '../run/workflow-state.js';

/** How a scoring run was started. */
export const SCORING_TRIGGERS = ['upload', 'manual'] as const;

/** `$.scoring`: what NormalizeScoringInput makes of a drop event, a console input or `sluice score`. */
export const scoringContextSchema = z
  .object({
    /** The execution name: the predictions, the manifest and the transform job all carry it. */
    scoreRunId: z.string().min(1).max(80),
    pipeline: z.string().min(1),
    trigger: z.enum(SCORING_TRIGGERS),
    /** The lake bucket: every output of the run goes there. */
    bucket: z.string().min(3),
    /** The scoring file, at the version the run reads. */
    object: z
      .object({ bucket: z.string().min(3), key: z.string().min(1), versionId: z.string().optional(), etag: z.string().optional(), size: z.number().int().nonnegative().optional() })
      .strict(),
    startedAt: z.string(),
    /** `YYYY-MM-DD` of the start (UTC): the predictions' partition. */
    scoreDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  })
  .strict();

/** The scoring run's context. */
export type ScoringContext = z.infer<typeof scoringContextSchema>;

/** `$.validation`: what ValidateScoringFile wrote and counted. */
export const scoringValidationSchema = z
  .object({
    /** The valid rows: contract columns the file holds, typed, and `source_row`. */
    inputKey: z.string(),
    quarantineKey: z.string().optional(),
    /** Whether the file holds every column the label is computed from (the feature query then computes it). */
    labelPresent: z.boolean(),
    rows: rowCountsSchema,
  })
  .strict();

/** What ValidateScoringFile returns. */
export type ScoringValidation = z.infer<typeof scoringValidationSchema>;

/** `$.query`: the scoring query's progress (StartScoringQuery, GetScoringQueryState). */
export const scoringQuerySchema = z
  .object({
    queryId: z.string(),
    /** `s3://<bucket>/scoring/<pipeline>/<scoreRunId>/transform-input/`. */
    location: z.string(),
    state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    /** The execution's redrive count when the query started: a redrive starts a new one instead of polling a failed one. */
    redriveCount: z.number().int().nonnegative(),
  })
  .strict();

/** The scoring query's progress. */
export type ScoringQuery = z.infer<typeof scoringQuerySchema>;

/** The model that scores: the registry's production version. */
export const scoringModelSchema = z
  .object({
    version: z.number().int().positive(),
    /** Model package ARN (AWS) or `local:<pipeline>/<version>`. */
    id: z.string(),
    artifact: z.string(),
    image: z.string(),
    algorithm: z.enum(['xgboost', 'blazingtext']),
  })
  .strict();

/** `$.transform`: the batch transform job's progress (StartBatchTransform, DescribeBatchTransform). */
export const transformProgressSchema = z
  .object({
    jobName: z.string().min(1).max(63),
    model: scoringModelSchema,
    /** `s3://…/transform-output/`: one `<input file>.out` per input file. */
    output: z.string(),
    state: z.enum(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']),
    failureReason: z.string().optional(),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    redriveCount: z.number().int().nonnegative(),
  })
  .strict();

/** The batch transform job's progress. */
export type TransformProgress = z.infer<typeof transformProgressSchema>;

/** A column of the predictions table, as Glue records it (Athena DDL type names). */
export const predictionColumnSchema = z.object({ name: z.string(), type: z.string() }).strict();

/** `$.predictions`: what WritePredictions wrote. */
export const predictionsResultSchema = z
  .object({
    key: z.string(),
    /** The partition folder, `predictions/<pipeline>/score_date=…/<scoreRunId>/`. */
    prefix: z.string(),
    rows: z.number().int().nonnegative(),
    columns: z.array(predictionColumnSchema),
  })
  .strict();

/** What WritePredictions returns. */
export type PredictionsResult = z.infer<typeof predictionsResultSchema>;

/** `$.catalog`: the predictions table and partition CatalogPredictions registered. */
export const predictionsCatalogSchema = z
  .object({ database: z.string(), table: z.string(), partition: z.string(), created: z.boolean() })
  .strict();

/** What CatalogPredictions returns. */
export type PredictionsCatalogResult = z.infer<typeof predictionsCatalogSchema>;
