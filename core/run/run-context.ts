import * as z from 'zod';

/** An input object of a run, as the run saw it (a re-run of the same version sees the same values). */
export const runObjectSchema = z
  .object({
    bucket: z.string().min(3),
    key: z.string().min(1),
    versionId: z.string().optional(),
    etag: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    lastModified: z.string().optional(),
  })
  .strict();

/** An input object of a run. */
export type RunObject = z.infer<typeof runObjectSchema>;

/** How a run was started. */
export const TRIGGERS = ['upload', 'schedule', 'manual'] as const;

/**
 * The run context: what NormalizeInput makes of any trigger, and what every later state reads. `runId` is the
 * execution name, so a run's files, jobs and records point straight back to its Step Functions execution.
 */
export const runContextSchema = z
  .object({
    runId: z.string().min(1).max(80),
    pipeline: z.string().min(1),
    trigger: z.enum(TRIGGERS),
    objects: z.array(runObjectSchema),
    /**
     * The run's input objects as one JSON array in the lake (core/manifest/object-list.ts), which the IngestFiles
     * Distributed Map reads its items from; absent when the run has no input files. `objects` names them too, except
     * for a folder (`prefix`) run, whose list may be far longer than the state can carry.
     */
    objectList: z
      .object({
        bucket: z.string().min(3),
        key: z.string().min(1),
        count: z.number().int().positive(),
        bytes: z.number().int().nonnegative(),
        /** The spec's `source.largeFileBytes`: IngestFiles' route Choice sends a larger object to Fargate. */
        largeFileBytes: z.number().int().positive(),
      })
      .strict()
      .optional(),
    bucket: z.string().min(3),
    startedAt: z.string(),
    /** Why a scheduled run trains nothing (no new data since the production model's; core/trigger/new-data.ts). */
    skipped: z.string().optional(),
    plan: z
      .object({
        features: z.boolean(),
        training: z.enum(['none', 'train', 'tune']),
        deploy: z.boolean(),
      })
      .strict()
      .describe('which stages run after ingest, decided from the spec when the run starts'),
  })
  .strict();

/** The run context every state receives. */
export type RunContext = z.infer<typeof runContextSchema>;
