import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { FeatureSplit } from '../features/feature-sql.js';
import { featureUnloadSql, readFeatureQuery } from '../features/feature-sql.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { tableName, workgroupName } from '../run/naming.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';

/** The feature query failed or was cancelled; the message carries the engine's reason. */
export class FeatureQueryFailedError extends TerminalStepError {
  public override readonly name = 'FeatureQueryFailedError';
}

/** The feature query outlasted the spec's `features.timeoutSeconds`. */
export class FeatureQueryTimeoutError extends TerminalStepError {
  public override readonly name = 'FeatureQueryTimeoutError';
}

/** What the feature query steps need. */
export interface FeatureQueryDeps {
  queryEngine: QueryEngine;
  store: ObjectStore;
  specs: SpecCatalog;
  names: ResourceNames;
}

const SPLITS: readonly FeatureSplit[] = ['train', 'validation'];

const splitQuerySchema = z
  .object({
    queryId: z.string(),
    location: z.string(),
    state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
    bytesScanned: z.number().optional(),
    engineMs: z.number().optional(),
  })
  .strict();

/** The feature query's progress, kept at `$.features`. */
export const featureProgressSchema = z
  .object({
    database: z.string(),
    table: z.string(),
    train: splitQuerySchema,
    validation: splitQuerySchema,
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['RUNNING', 'SUCCEEDED']),
    /** The execution's redrive count when the queries started: a redrive after a failure starts them again. */
    redriveCount: z.number().int().nonnegative().default(0),
  })
  .strict();

/** The feature query's progress at `$.features`. */
export type FeatureProgress = z.infer<typeof featureProgressSchema>;

const startInput = z.object({ run: runContextSchema, redriveCount: z.number().int().nonnegative().default(0) }).passthrough();
const stateInput = startInput.extend({ features: featureProgressSchema });

/**
 * StartFeatureQuery: reads the pipeline's features.sql (one SELECT over its table, label first), wraps it once per
 * split (a deterministic md5 split on the spec's key columns) in an UNLOAD to `features/<pipeline>/<runId>/<split>/`
 * (emptied first), and starts both queries. Request tokens derive from the run, so a retried state does not start them twice.
 */
export async function startFeatureQuery(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  return startQueries(parseStateInput('StartFeatureQuery', startInput, rawInput), deps);
}

async function startQueries({ run, redriveCount }: z.infer<typeof startInput>, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const spec = deps.specs.get(run.pipeline);
  const features = spec.features;
  if (!features) throw new FeatureQueryFailedError(`Pipeline ${spec.name} has no features section`);
  const table = tableName(spec.name);
  const query = readFeatureQuery(spec, table);
  const started = {} as Record<FeatureSplit, z.infer<typeof splitQuerySchema>>;
  for (const split of SPLITS) {
    const prefix = `${lakeLayout.featuresPrefix(spec.name, run.runId)}${split}/`;
    // UNLOAD refuses a non-empty target and leaves partial files when it fails: start from an empty prefix.
    await deps.store.delete(await deps.store.list(run.bucket, prefix));
    const location = `s3://${run.bucket}/${prefix}`;
    const sql = featureUnloadSql({ query, database: deps.names.database, table, splitKey: features.splitKey, validationRatio: features.validationRatio, split, target: location });
    const { queryId } = await deps.queryEngine.startQuery({ sql, database: deps.names.database, workgroup: workgroupName(deps.names, spec.name), requestToken: `${run.runId}-features-${split}-${redriveCount}` });
    started[split] = { queryId, location, state: 'QUEUED' };
  }
  return {
    database: deps.names.database,
    table,
    train: started.train,
    validation: started.validation,
    attempt: 0,
    maxAttempts: Math.max(1, Math.ceil(features.timeoutSeconds / features.pollSeconds)),
    pollSeconds: features.pollSeconds,
    state: 'RUNNING',
    redriveCount,
  };
}

/**
 * GetFeatureQueryState: one poll of both queries. Both SUCCEEDED moves on, with the query ids and bytes scanned
 * recorded; a failed or cancelled one fails the run with the engine's reason (or, in a redriven execution, starts
 * the queries again); too many polls fail it with FeatureQueryTimeoutError.
 */
export async function getFeatureQueryState(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const input = parseStateInput('GetFeatureQueryState', stateInput, rawInput);
  const { features } = input;
  const next = { ...features, attempt: features.attempt + 1 };
  for (const split of SPLITS) {
    const status = await deps.queryEngine.queryStatus(features[split].queryId);
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      // Redrive re-runs only this state: a redriven execution starts the queries again, under new request tokens.
      if (input.redriveCount > features.redriveCount) return startQueries(input, deps);
      throw new FeatureQueryFailedError(`The ${split} feature query ${features[split].queryId} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.reason ?? 'no reason given'}`);
    }
    next[split] = {
      ...features[split],
      state: status.state,
      ...(status.bytesScanned !== undefined ? { bytesScanned: status.bytesScanned } : {}),
      ...(status.engineMs !== undefined ? { engineMs: status.engineMs } : {}),
    };
  }
  if (next.train.state === 'SUCCEEDED' && next.validation.state === 'SUCCEEDED') return { ...next, state: 'SUCCEEDED' };
  if (next.attempt >= features.maxAttempts) {
    throw new FeatureQueryTimeoutError(`The feature queries did not finish within ${features.maxAttempts * features.pollSeconds} s (features.timeoutSeconds)`);
  }
  return next;
}
