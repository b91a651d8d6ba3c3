import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Issue 10, item 12: every function gets only the SDK clients its step uses. Each handler is loaded on its own (a
 * fresh module registry, as a Lambda execution environment loads its bundle) with every SDK client class replaced by
 * a subclass that records its construction; the clients its module scope built are compared with the function's row.
 */
const CLIENT_MODULES = {
  '@aws-sdk/client-athena': 'AthenaClient',
  '@aws-sdk/client-glue': 'GlueClient',
  '@aws-sdk/client-s3': 'S3Client',
  '@aws-sdk/client-sagemaker': 'SageMakerClient',
  '@aws-sdk/client-sagemaker-runtime': 'SageMakerRuntimeClient',
  '@aws-sdk/client-sfn': 'SFNClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-sqs': 'SQSClient',
} as const;

type ClientName = (typeof CLIENT_MODULES)[keyof typeof CLIENT_MODULES];

/** The clients each function's step calls, and nothing else. */
const EXPECTED: Record<string, readonly ClientName[]> = {
  // The drain lists running executions and starts runs; it receives, releases and deletes the upload queue's messages.
  'start-run': ['SFNClient', 'SQSClient'],
  'normalize-input': ['S3Client'],
  'validate-and-partition': ['S3Client'],
  'start-crawler': ['GlueClient'],
  'get-crawler-state': ['GlueClient'],
  // The feature query empties its UNLOAD targets in S3 first; the poll restarts it after a redrive.
  'start-feature-query': ['AthenaClient', 'S3Client'],
  'get-feature-query-state': ['AthenaClient', 'S3Client'],
  'start-training': ['SageMakerClient'],
  'describe-training': ['SageMakerClient'],
  'start-tuning': ['SageMakerClient'],
  'describe-tuning': ['SageMakerClient'],
  // The lake: the training set's profile and bias metrics recorded with the version (issue 15).
  // Champion/challenger (issue 12): the transform input written from the validation channel, the jobs on SageMaker;
  // the metrics from the outputs in S3 only.
  'start-evaluation-transform': ['S3Client', 'SageMakerClient'],
  'describe-evaluation-transform': ['S3Client', 'SageMakerClient'],
  'compute-evaluation-metrics': ['S3Client'],
  'evaluate-model': ['S3Client', 'SageMakerClient'],
  deploy: ['SageMakerClient'],
  'get-endpoint-state': ['SageMakerClient'],
  // Sample rows from S3, invoked through the runtime; the deployer restores production on a failed test.
  'smoke-test': ['S3Client', 'SageMakerClient', 'SageMakerRuntimeClient'],
  'promote-model': ['SageMakerClient'],
  // Raw-record inference: the pipeline's endpoint, invoked through the runtime; the specs ship in its zip (no S3).
  infer: ['SageMakerRuntimeClient'],
  // The stage's topic: every finished run's notification (issue 13).
  // SageMaker: the run report's versions over time, read from the model registry (aws/wiring/run-report.ts).
  'record-run': ['S3Client', 'SNSClient', 'SageMakerClient'],
  'record-failure': ['AthenaClient', 'S3Client', 'SFNClient', 'SNSClient', 'SageMakerClient'],
  // Batch scoring (issue 12).
  // The scoring rule's target: starts the scoring state machine, named after the object version.
  'start-scoring-run': ['SFNClient'],
  'normalize-scoring-input': ['S3Client'],
  'validate-scoring-file': ['GlueClient', 'S3Client'],
  'start-scoring-query': ['AthenaClient', 'S3Client'],
  'get-scoring-query-state': ['AthenaClient', 'S3Client'],
  'start-batch-transform': ['SageMakerClient'],
  'describe-batch-transform': ['SageMakerClient'],
  'write-predictions': ['S3Client'],
  'catalog-predictions': ['GlueClient'],
  'record-scoring-run': ['S3Client'],
};

const FUNCTIONS_DIR = path.join(__dirname, '..', '..', '..', 'functions');

/** An environment every function's configuration accepts (roles, prefix and state machine set). */
const ENVIRONMENT = {
  LAKE_BUCKET: 'sluice-dev-lake',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev',
  UPLOAD_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/sluice-dev-uploads',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sagemaker',
  SAGEMAKER_MODEL_ROLE_ARN: 'arn:aws:iam::123456789012:role/model',
  RESOURCE_PREFIX: 'sluice-dev-',
  AWS_REGION: 'us-east-1',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:sluice-dev-runs',
};

/** Loads `functions/<name>/handler.ts` in a fresh registry and returns each client class constructed, once per construction. */
function clientsConstructedBy(name: string): string[] {
  const constructed: string[] = [];
  jest.isolateModules(() => {
    for (const [moduleName, className] of Object.entries(CLIENT_MODULES)) {
      jest.doMock(moduleName, () => {
        const actual = jest.requireActual<Record<string, unknown>>(moduleName);
        const Client = actual[className] as new (config: object) => object;
        class Recorded extends Client {
          public constructor(config: object) {
            super(config);
            constructed.push(className);
          }
        }
        return { ...actual, [className]: Recorded };
      });
    }
    jest.requireActual<object>(path.join(FUNCTIONS_DIR, name, 'handler.ts'));
  });
  return constructed.sort();
}

describe('function clients', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, ENVIRONMENT);
  });
  afterAll(() => {
    process.env = saved;
    jest.resetModules();
  });

  describe('every function folder', () => {
    it('has a row of expected clients when a handler exists', () => {
      // Prepare
      const folders = readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();

      // Act
      const rows = Object.keys(EXPECTED).sort();

      // Assess
      expect(rows).toEqual(folders);
    });
  });

  describe.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    it('constructs exactly the clients its step calls, once each, when its handler loads', () => {
      // Prepare
      const want = [...expected].sort();

      // Act
      const constructed = clientsConstructedBy(name);

      // Assess
      expect(constructed).toEqual(want);
    });
  });
});
