/** Types of hosting.js (plain CommonJS, so that serverless.yml can load it through `${file(...)}`). */
import type { DeployedPipeline, StageNames } from './stage.js';

/** What a stage deploys: its service and stage names, the names of its resources, its pipelines. */
export interface Stage {
  readonly service: string;
  readonly stage: string;
  readonly names: StageNames;
  readonly pipelines: readonly DeployedPipeline[];
}

/** A resource of the generated template, as far as the tests read it. */
export interface GeneratedResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The logical id of the role deployed models run as. */
export declare const MODEL_ROLE: string;
/** The production variant the rollback alarms watch: AllTraffic. */
export declare const VARIANT_NAME: string;

/** A pipeline's endpoint: `<prefix><pipeline>`. */
export declare function endpointName(names: StageNames, pipeline: DeployedPipeline): string;
/** A pipeline's model package group: `<prefix><pipeline>`. */
export declare function modelPackageGroupName(names: StageNames, pipeline: DeployedPipeline): string;
/** The rollback alarms of an endpoint, in aws/wiring/sagemaker.ts `rollbackAlarmNames` order. */
export declare function rollbackAlarmNames(endpoint: string): string[];
/** The model role, one model package group per registering pipeline, two rollback alarms per deploying pipeline. */
export declare function hostingResources(stage: Stage): Record<string, GeneratedResource>;
