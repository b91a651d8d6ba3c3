import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { InferDeps } from '../../core/serving/infer-raw-records.js';
import { SageMakerInvoker } from '../adapters/sagemaker-invoker.js';
import { requirePrefix, sharedDeps } from './shared.js';

/**
 * Dependencies of the inference function (functions/infer): the bundled pipeline specs and the SageMaker Runtime, made
 * once per execution environment. No S3 client: the specs and their feature SQL ship in the zip.
 */
export function inferDeps(config: RuntimeConfig): InferDeps {
  const { specs, logger } = sharedDeps(config);
  return { specs, logger, invoker: new SageMakerInvoker(new SageMakerRuntimeClient({})), endpointPrefix: requirePrefix(config) };
}
