import type { TrainingAlgorithm } from './trainer.js';

/** Where a registered model stands. */
export type ApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

/** A model version in a pipeline's registry (a SageMaker model package in a model package group). */
export interface ModelVersion {
  pipeline: string;
  /** 1, 2, 3… in registration order. */
  version: number;
  /** The model package ARN in AWS; `local:<pipeline>/<version>` locally. */
  id: string;
  modelArtifact: string;
  image: string;
  metrics: Record<string, number>;
  status: ApprovalStatus;
  runId: string;
  createdAt: string;
  /** Where the model came from: run id, data, query ids, training or tuning job. */
  lineage: Record<string, string>;
}

/** A candidate to register. */
export interface Candidate {
  pipeline: string;
  runId: string;
  modelArtifact: string;
  image: string;
  metrics: Record<string, number>;
  lineage: Record<string, string>;
  /** The algorithm that trained it: picks the content types the registry declares. Absent: XGBoost. */
  algorithm?: TrainingAlgorithm;
  /**
   * The model's own evaluation as the trainer reported it, non-numbers included (a text model's `confusion_matrix`,
   * keyed by the user's labels). Kept in the record where the registry can hold it (locally); the run manifest keeps
   * it in both runtimes (`$.training.evaluation`).
   */
  evaluation?: Record<string, unknown>;
}

/** The model registry port: SageMaker Model Registry in AWS, JSON records on disk locally. */
export interface ModelRegistry {
  /** Registers a candidate, pending approval; the same run registering again gets its existing version back. */
  register(candidate: Candidate): Promise<ModelVersion>;
  /** The production model: the newest approved version, or undefined before the first promotion. */
  production(pipeline: string): Promise<ModelVersion | undefined>;
  /** Records the gate's (or the deployment's) decision with its reason. */
  decide(version: ModelVersion, status: 'Approved' | 'Rejected', reason: string): Promise<void>;
}
