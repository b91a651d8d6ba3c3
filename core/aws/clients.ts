import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

/** The SDK clients the steps use, one per service. */
export interface AwsClients {
  s3: S3Client;
  sfn: SFNClient;
  glue: GlueClient;
  athena: AthenaClient;
  sagemaker: SageMakerClient;
  sagemakerRuntime: SageMakerRuntimeClient;
  sns: SNSClient;
}

/**
 * Makes each SDK client once, lazily, so a function pays only for the clients it touches. Pass `overrides` to
 * substitute clients in tests. The SDK's own retry (standard mode, 3 attempts) handles throttling inside a call;
 * the state machine's Retry handles anything that outlasts it.
 */
export function awsClients(overrides: Partial<AwsClients> = {}): AwsClients {
  const made: Partial<AwsClients> = { ...overrides };
  const lazy = <K extends keyof AwsClients>(key: K, make: () => AwsClients[K]) => ({
    get: (): AwsClients[K] => (made[key] ??= make()),
    enumerable: true,
  });
  const clients = {} as AwsClients;
  Object.defineProperties(clients, {
    s3: lazy('s3', () => new S3Client({})),
    sfn: lazy('sfn', () => new SFNClient({})),
    glue: lazy('glue', () => new GlueClient({})),
    athena: lazy('athena', () => new AthenaClient({})),
    sagemaker: lazy('sagemaker', () => new SageMakerClient({})),
    sagemakerRuntime: lazy('sagemakerRuntime', () => new SageMakerRuntimeClient({})),
    sns: lazy('sns', () => new SNSClient({})),
  });
  return clients;
}
