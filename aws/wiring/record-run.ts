import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { RecordRunDeps } from '../../core/manifest/run-manifest.js';
import type { Notifier } from '../../core/ports/notifier.js';
import type { RunReportDeps } from '../../core/report/run-report.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { ingestDeps } from './ingest.js';
import { snsNotifier } from './notifications.js';
import { cloudReportSources } from './run-report.js';
import { sagemakerClient } from './sagemaker.js';
import { requirePrefix } from './shared.js';

/**
 * Dependencies of RecordRun: S3 for the manifest, the report and the candidate's insights.json that
 * ComputeEvaluationMetrics wrote (the report's curves), SNS for the notification, and the SageMaker Model Registry,
 * read only, for the report's versions over time (core/report/, aws/wiring/run-report.ts).
 */
export function recordRunDeps(config: RuntimeConfig): RecordRunDeps & { notifier?: Notifier } & Pick<RunReportDeps, 'report'> {
  const registry = new SageMakerRegistry(sagemakerClient(), { groupPrefix: requirePrefix(config) });
  return { ...ingestDeps(config), ...snsNotifier(config), report: cloudReportSources(config, registry) };
}
