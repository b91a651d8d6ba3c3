import path from 'node:path';
import { RawFeaturizer } from '../../../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../../../core/serving/raw-records.js';
import { readRawRequest } from '../../../core/serving/raw-request.js';
import { rawServingSpecOf } from '../../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../../core/serving/raw-serving-spec.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const churn = rawServingSpecOf(loadPipelineSpec('churn', path.join(REPO_ROOT, 'pipelines'))) as RawServingSpec;

const CUSTOMER: Record<string, unknown> = {
  female: 1, senior_citizen: 0, partner: 1, dependents: 0, tenure: 1, phone_service: 0, multiple_lines: 'No phone service',
  internet_service: 'DSL', online_security: 'No', online_backup: 'Yes', device_protection: 'No', tech_support: 'No',
  streaming_tv: 'No', streaming_movies: 'No', contract: 'Month-to-month', paperless_billing: 1,
  payment_method: 'Electronic check', monthly_charges: 29.85, total_charges: null,
};

describe('checkRawRecords', () => {
  describe('CSV values', () => {
    it('types the values as the contract declares and reads NA as missing when a CSV record is checked', () => {
      // Prepare
      const record = Object.fromEntries(Object.entries(CUSTOMER).map(([k, v]) => [k, v === null ? 'NA' : String(v)]));

      // Act
      const checked = checkRawRecords(churn, [record], 'csv', churn.nullValues);

      // Assess
      const byName = Object.fromEntries(checked.columns.map((c, i) => [c.name, checked.rows[0]?.[i]]));
      expect(byName).toMatchObject({ tenure: 1, monthly_charges: 29.85, total_charges: null, contract: 'Month-to-month' });
      expect(checked.columns.map((c) => c.name)).not.toContain('churn');
    });
  });

  describe('broken rules', () => {
    it.each([
      [{ tenure: '27.5' }, 'csv', 'tenure', 'type'],
      [{ tenure: -1 }, 'json', 'tenure', 'min'],
      [{ payment_method: 'x'.repeat(65) }, 'json', 'payment_method', 'maxLength'],
      [{ churn: 'Maybe' }, 'json', 'churn', 'allowed'],
      [{ contract: null }, 'json', 'contract', 'nullable'],
    ] as const)('names the record, column and rule when %p is sent as %s', (change, kind, column, rule) => {
      // Prepare
      const record = kind === 'csv' ? Object.fromEntries(Object.entries({ ...CUSTOMER, ...change }).map(([k, v]) => [k, v === null ? '' : String(v)])) : { ...CUSTOMER, ...change };

      // Act
      const check = () => checkRawRecords(churn, [CUSTOMER, record], kind, churn.nullValues);

      // Assess
      expect(check).toThrow(expect.objectContaining({ name: 'RawRecordError', record: 1, column, rule }));
    });
  });
});

describe('readRawRequest', () => {
  describe('featurized bodies', () => {
    it.each([
      ['text/csv', '1,0,2.5\n'],
      ['application/json', '{"instances": [[1, 0, 2.5]]}'],
      ['application/json', '{"instances": [{"features": [1, 0, 2.5]}]}'],
      ['text/csv', 'nan,1,2\n'],
    ])('leaves %s %p to the featurized contract when it is not raw records', (contentType, body) => {
      // Act
      const raw = readRawRequest(body, contentType, churn);

      // Assess
      expect(raw).toBeUndefined();
    });
  });

  describe('raw bodies', () => {
    it('reads a quoted CSV whose header names contract columns as records of text', () => {
      // Act
      const raw = readRawRequest('tenure,contract\n3,"One year"\n', 'text/csv', churn);

      // Assess
      expect(raw).toEqual({ kind: 'csv', records: [{ tenure: '3', contract: 'One year' }] });
    });
  });
});

describe('RawFeaturizer', () => {
  describe('requests arriving together', () => {
    it('gives each request its own rows, in order, when several are featurized in one batch', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn);
      const tenures = [1, 12, 30, 72];
      const requests = tenures.map((tenure) => checkRawRecords(churn, [{ ...CUSTOMER, tenure }, { ...CUSTOMER, tenure: tenure + 1 }], 'json'));

      try {
        // Act
        const answers = await Promise.all(requests.map((r) => featurizer.featurize(r)));

        // Assess: tenure is the 5th feature of churn's query.
        expect(answers.map((a) => [a.values[4], a.values[a.nCols + 4]])).toEqual(tenures.map((t) => [t, t + 1]));
        expect(featurizer.labelNames).toEqual(new Map([[0, 'No'], [1, 'Yes']]));
      } finally {
        await featurizer.close();
      }
    });
  });
});
