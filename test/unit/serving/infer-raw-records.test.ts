import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import path from 'node:path';
import { SageMakerInvoker } from '../../../aws/adapters/sagemaker-invoker.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { inferRawRecords } from '../../../core/serving/infer-raw-records.js';
import type { InferDeps } from '../../../core/serving/infer-raw-records.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const runtime = mockClient(SageMakerRuntimeClient);

const deps: InferDeps = {
  specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')),
  invoker: new SageMakerInvoker(new SageMakerRuntimeClient({ region: 'us-east-1' })),
  endpointPrefix: 'sluice-dev-',
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
};

/** The first customer of pipelines/churn/data/telco_churn.csv, without the label. */
const CUSTOMER = {
  female: 1, senior_citizen: 0, partner: 1, dependents: 0, tenure: 1, phone_service: 0, multiple_lines: 'No phone service',
  internet_service: 'DSL', online_security: 'No', online_backup: 'Yes', device_protection: 'No', tech_support: 'No',
  streaming_tv: 'No', streaming_movies: 'No', contract: 'Month-to-month', paperless_billing: 1,
  payment_method: 'Electronic check', monthly_charges: 29.85, total_charges: 29.85,
};

/**
 * That customer's features as churn's features.sql computes them, in its column order, as float32 text: female..
 * paperless_billing, monthly and total charges, no missing total, charges per month, then the one-hot columns (DSL,
 * online backup, electronic check).
 */
const CUSTOMER_FEATURES = '1,0,1,0,1,0,1,29.850000381469727,29.850000381469727,0,29.850000381469727,0,1,0,0,1,0,0,0,0,0,0,1,0,0';

describe('inferRawRecords', () => {
  beforeEach(() => {
    runtime.reset();
  });

  describe('a churn record as JSON', () => {
    it('invokes the pipeline endpoint with the feature row as CSV and answers the user\'s label when the endpoint scores it', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'application/json', Body: new TextEncoder().encode('{"predictions": [{"score": 0.75}]}') as never });

      // Act
      const result = await inferRawRecords({ pipeline: 'churn', contentType: 'application/json', body: JSON.stringify(CUSTOMER) }, deps);

      // Assess
      expect(runtime.commandCalls(InvokeEndpointCommand).map((call) => call.args[0].input)).toEqual([
        { EndpointName: 'sluice-dev-churn', ContentType: 'text/csv', Accept: 'application/json', Body: CUSTOMER_FEATURES },
      ]);
      expect(result).toEqual({ endpointName: 'sluice-dev-churn', predictions: [{ label: 'Yes', score: 0.75, probabilities: { No: 0.25, Yes: 0.75 } }] });
    });
  });

  describe('a churn record that breaks the contract', () => {
    it('throws RawRecordError naming the record, column and rule and invokes nothing when tenure is above its maximum', async () => {
      // Prepare
      const records = [CUSTOMER, { ...CUSTOMER, tenure: 500 }];

      // Act
      const inference = inferRawRecords({ pipeline: 'churn', contentType: 'application/json', body: JSON.stringify(records) }, deps);

      // Assess
      await expect(inference).rejects.toMatchObject({ name: 'RawRecordError', record: 1, column: 'tenure', rule: 'max' });
      expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
    });
  });

  describe('featurized rows', () => {
    it('refuses with 415 and invokes nothing when the body is a featurized CSV row', async () => {
      // Act
      const inference = inferRawRecords({ pipeline: 'churn', contentType: 'text/csv', body: CUSTOMER_FEATURES }, deps);

      // Assess
      await expect(inference).rejects.toMatchObject({ name: 'InferenceRequestError', statusCode: 415 });
      expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
    });
  });

  describe('a reviews record (BlazingText)', () => {
    it('invokes the endpoint with the normalised text as BlazingText JSON and answers the label without its prefix when scored', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'application/json', Body: new TextEncoder().encode('[{"label": ["__label__great"], "prob": [0.875]}]') as never });
      const csv = 'product,review\nB001,"Great <br />coffee, LOVED it!!"\n';

      // Act
      const result = await inferRawRecords({ pipeline: 'reviews', contentType: 'text/csv', body: csv }, deps);

      // Assess
      expect(runtime.commandCalls(InvokeEndpointCommand).map((call) => call.args[0].input)).toEqual([
        {
          EndpointName: 'sluice-dev-reviews',
          ContentType: 'application/json',
          Accept: 'application/json',
          Body: JSON.stringify({ instances: ['great coffee , loved it ! !'], configuration: { k: 1 } }),
        },
      ]);
      expect(result.predictions).toEqual([{ label: 'great', score: 0.875, probabilities: { great: 0.875 } }]);
    });
  });
});
