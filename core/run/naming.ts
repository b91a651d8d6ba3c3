/** Names of the AWS-side (or local) resources a pipeline uses, derived in one place. */
export interface ResourceNames {
  /** Glue database of the stage: `sluice_<stage>` (locally `sluice_local`). */
  database: string;
  /** Crawlers are `<crawlerPrefix><pipeline>`, e.g. `sluice-dev-churn`. */
  crawlerPrefix: string;
  /** Athena workgroups are `<workgroupPrefix><pipeline>`: one per pipeline, each with its spec's scan limit. */
  workgroupPrefix: string;
}

/**
 * The catalog table of a pipeline: its name with dashes turned into underscores (`churn-v2` → `churn_v2`), since Athena
 * supports no special character but `_` in table names. Its data stays in `curated/<pipeline>/`; deploy/catalog.js
 * defines the Glue table under this name and points the crawler at it, so no crawler names it after the folder.
 */
export function tableName(pipeline: string): string {
  return pipeline.replaceAll('-', '_');
}

/** The crawler of a pipeline. */
export function crawlerName(names: ResourceNames, pipeline: string): string {
  return `${names.crawlerPrefix}${pipeline}`;
}

/** The Athena workgroup of a pipeline. */
export function workgroupName(names: ResourceNames, pipeline: string): string {
  return `${names.workgroupPrefix}${pipeline}`;
}
