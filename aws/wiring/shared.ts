import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import { powertoolsLogger } from '../log/powertools-logger.js';
import { runMetrics } from '../adapters/powertools-metrics.js';
import type { RunMetrics } from '../../core/ports/metrics.js';
import type { Logger } from '../../core/log/logger.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { folderSpecCatalog } from '../../core/pipelines/spec-catalog.js';

/**
 * Makes a value on first use and keeps it: an SDK client is built once per execution environment, and only by the
 * functions that use it. Each AWS service's wiring lives in its own module (S3's in `s3.ts`), so a function's bundle
 * holds only the clients it needs.
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * What every step's wiring shares: the lake's name, the pipeline specs, the logger, the clock. No SDK client: each
 * function's wiring adds the clients its step calls (issue 10, item 12), so a function that never touches S3 (the
 * crawler, training, tuning, endpoint and start-run functions) builds no S3 client.
 */
export interface SharedDeps {
  specs: SpecCatalog;
  lakeBucket: string;
  logger: Logger;
  clock: () => Date;
  /** Custom metrics as EMF lines, flushed by the shared middleware stack (aws/middleware/with-step-defaults.ts). */
  metrics: RunMetrics;
}

/** The shared dependencies of a function. */
export function sharedDeps(config: RuntimeConfig): SharedDeps {
  return {
    specs: folderSpecCatalog(config.pipelinesDir),
    lakeBucket: config.lakeBucket,
    logger: powertoolsLogger,
    clock: () => new Date(),
    metrics: runMetrics,
  };
}

/** The stage prefix; no default, since a wrong one would name another stage's jobs, groups and endpoints. */
export function requirePrefix(config: RuntimeConfig): string {
  if (!config.resourcePrefix) throw new ConfigurationError('RESOURCE_PREFIX must be set for the training, registry and deployment functions');
  return config.resourcePrefix;
}

/**
 * A port a function's step never calls, typed as the port so the step's dependency type holds: any call throws a
 * ConfigurationError naming it, instead of a client being built for it. It is not a thenable (`then` is undefined),
 * so it can be awaited or logged without calling anything.
 */
export function notWired<T extends object>(what: string, wiring: string): T {
  return new Proxy({} as T, {
    get: (_target, property) =>
      property === 'then' || typeof property === 'symbol'
        ? undefined
        : () => {
            throw new ConfigurationError(`${what} (${String(property)}) is not wired for this function: its step does not use it (${wiring})`);
          },
  });
}
