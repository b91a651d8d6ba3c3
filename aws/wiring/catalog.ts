import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { CrawlDeps } from '../../core/crawl/crawl.js';
import type { FeatureQueryDeps } from '../../core/features/feature-query.js';
import { AthenaQueryEngine } from '../adapters/athena-query-engine.js';
import { GlueCatalog } from '../adapters/glue-catalog.js';
import { s3Store } from './s3.js';
import { sharedDeps } from './shared.js';

/** Dependencies of StartCrawler and GetCrawlerState: the Glue crawler; no S3 client, the crawler reads the lake itself. */
export function crawlDeps(config: RuntimeConfig): CrawlDeps {
  return { ...sharedDeps(config), catalog: new GlueCatalog(new GlueClient({})), names: config.names };
}

/** Dependencies of StartFeatureQuery and GetFeatureQueryState: Athena, and S3 to empty the UNLOAD targets. */
export function featureQueryDeps(config: RuntimeConfig): FeatureQueryDeps {
  return { ...sharedDeps(config), store: s3Store(), queryEngine: new AthenaQueryEngine(new AthenaClient({})), names: config.names };
}
