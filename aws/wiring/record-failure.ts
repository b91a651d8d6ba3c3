import { AthenaClient } from '@aws-sdk/client-athena';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { RunReportDeps } from '../../core/report/run-report.js';
import type { RecordExecutionFailureDeps } from '../../core/steps/record-failure.js';
import { AthenaQueryEngine } from '../adapters/athena-query-engine.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { SageMakerTrainer } from '../adapters/sagemaker-trainer.js';
import { SageMakerTransform } from '../adapters/sagemaker-transform.js';
import { SfnExecutionHistory } from '../adapters/sfn-execution-history.js';
import { sagemakerClient } from './sagemaker.js';
import { snsNotifier } from './notifications.js';
import { cloudReportSources } from './run-report.js';
import { s3Store } from './s3.js';
import { requirePrefix, sharedDeps } from './shared.js';

/**
 * Dependencies of RecordFailure, the target of the execution status-change rule: the execution's history (Step
 * Functions), S3 for the manifest, the registry to reject a candidate that never reached production, and SageMaker and
 * Athena to stop the run's jobs (training, tuning, evaluation transforms) and queries, SNS to announce the failure, and the failed run's report beside its
 * manifest (aws/wiring/run-report.ts: the registry's versions, Chart.js from the zip).
 */
export function recordFailureDeps(config: RuntimeConfig): RecordExecutionFailureDeps & Pick<RunReportDeps, 'report'> {
  const trainer = new SageMakerTrainer(sagemakerClient(), {
    // RecordFailure only stops jobs, which passes no role: the trainer's role is for the jobs it creates.
    roleArn: '',
    region: config.region,
  });
  const queryEngine = new AthenaQueryEngine(new AthenaClient({}));
  const transforms = new SageMakerTransform(sagemakerClient(), '');
  // One Step Functions client: the history, and a failed Distributed Map's children.
  const history = new SfnExecutionHistory(new SFNClient({}));
  const registry = new SageMakerRegistry(sagemakerClient(), { groupPrefix: requirePrefix(config) });
  return {
    ...sharedDeps(config),
    store: s3Store(),
    registry,
    trainer: { stopTraining: (jobName) => trainer.stopTraining(jobName), stopTuning: (jobName) => trainer.stopTuning(jobName) },
    queryEngine: { stopQuery: (queryId) => queryEngine.stopQuery(queryId) },
    // Stopping a transform job passes no role either.
    batchScorer: { stopTransform: (jobName) => transforms.stopTransform(jobName) },
    history,
    mapRuns: history,
    ...snsNotifier(config),
    report: cloudReportSources(config, registry),
  };
}
