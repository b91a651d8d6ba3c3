/** Types of stage.js (plain CommonJS, so that serverless.yml can load it through `${file(...)}`). */

/** Athena's floor for BytesScannedCutoffPerQuery: 10,000,000 bytes. */
export declare const MIN_BYTES_SCANNED_CUTOFF: number;
/** The cutoff of a features section that sets none: 10 GB. */
export declare const DEFAULT_BYTES_SCANNED_CUTOFF: number;

/** The names of a stage's AWS-side resources. */
export interface StageNames {
  readonly glueDatabase: string;
  readonly crawlerPrefix: string;
  readonly workgroupPrefix: string;
  readonly resourcePrefix: string;
}

/** A pipeline in the deployment. */
export interface DeployedPipeline {
  readonly name: string;
  /** For logical ids: `churn-v2` -> `ChurnV2`. */
  readonly id: string;
  /** Its catalog table: the name with dashes as underscores. */
  readonly table: string;
  /** Present when the spec has a features section. */
  readonly features: { readonly bytesScannedCutoff: number } | undefined;
  /** Its runs train (features and training sections) and register each candidate in its model package group. */
  readonly registersModels: boolean;
  /** Its runs may deploy a promoted candidate to its endpoint (it registers models and has a deployment section). */
  readonly deploys: boolean;
}

/** The names of `<service>-<stage>`'s resources; throws on names AWS would refuse or a job prefix too long. */
export declare function stageNames(service: string, stage: string): StageNames;

/** Every folder of `<root>/pipelines` with a pipeline.yml; throws on a name or cutoff the deployment cannot take. */
export declare function deployedPipelines(root?: string): DeployedPipeline[];

/** `churn-v2` -> `ChurnV2`. */
export declare function pascal(name: string): string;
