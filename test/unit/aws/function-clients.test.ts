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
} as const;

type ClientName = (typeof CLIENT_MODULES)[keyof typeof CLIENT_MODULES];

/** The clients each function's step calls, and nothing else. */
const EXPECTED: Record<string, readonly ClientName[]> = {
  'start-run': ['SFNClient'],
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
  'evaluate-model': ['SageMakerClient'],
  deploy: ['SageMakerClient'],
  'get-endpoint-state': ['SageMakerClient'],
  // Sample rows from S3, invoked through the runtime; the deployer restores production on a failed test.
  'smoke-test': ['S3Client', 'SageMakerClient', 'SageMakerRuntimeClient'],
  'promote-model': ['SageMakerClient'],
  'record-run': ['S3Client'],
  'record-failure': ['AthenaClient', 'S3Client', 'SFNClient', 'SageMakerClient'],
};

const FUNCTIONS_DIR = path.join(__dirname, '..', '..', '..', 'functions');

/** An environment every function's configuration accepts (roles, prefix and state machine set). */
const ENVIRONMENT = {
  LAKE_BUCKET: 'sluice-dev-lake',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sagemaker',
  SAGEMAKER_MODEL_ROLE_ARN: 'arn:aws:iam::123456789012:role/model',
  RESOURCE_PREFIX: 'sluice-dev-',
  AWS_REGION: 'us-east-1',
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
