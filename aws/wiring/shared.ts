import { S3Client } from '@aws-sdk/client-s3';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import { powertoolsLogger } from '../log/powertools-logger.js';
import type { Logger } from '../../core/log/logger.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { folderSpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';

/**
 * Makes a value on first use and keeps it: an SDK client is built once per execution environment, and only by the
 * functions that use it. Each AWS service's wiring lives in its own module, so a function's bundle holds only the
 * clients it needs.
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** The S3 client, made once. */
export const s3Client = once(() => new S3Client({}));

/** What every step's wiring shares: the lake, the pipeline specs, the logger, the clock. */
export interface SharedDeps {
  store: S3ObjectStore;
  specs: SpecCatalog;
  lakeBucket: string;
  logger: Logger;
  clock: () => Date;
}

/** The shared dependencies of a function. */
export function sharedDeps(config: RuntimeConfig): SharedDeps {
  return {
    store: new S3ObjectStore(s3Client()),
    specs: folderSpecCatalog(config.pipelinesDir),
    lakeBucket: config.lakeBucket,
    logger: powertoolsLogger,
    clock: () => new Date(),
  };
}

/** The stage prefix; no default, since a wrong one would name another stage's jobs, groups and endpoints. */
export function requirePrefix(config: RuntimeConfig): string {
  if (!config.resourcePrefix) throw new ConfigurationError('RESOURCE_PREFIX must be set for the training, registry and deployment functions');
  return config.resourcePrefix;
}
