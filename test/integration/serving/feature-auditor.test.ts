/**
 * The local endpoint's auditor of compiled raw-record features: DuckDB in a worker thread (local/serving/feature-auditor.ts)
 * featurizes as the same DuckDB featurizer does in-process, ends its thread when closed, and refuses to start on a
 * scoring query DuckDB cannot prepare.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDbAuditor } from '../../../core/serving/raw-featurizer.js';
import type { FeatureAuditor, RawFeatures } from '../../../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../../../core/serving/raw-records.js';
import type { CheckedRecords } from '../../../core/serving/raw-records.js';
import { parseCsv } from '../../../core/serving/raw-request.js';
import { rawServingSpecOf } from '../../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../../core/serving/raw-serving-spec.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { FeatureAuditorError, startFeatureAuditor } from '../../../local/serving/feature-auditor.js';
import { ordersRawSpec } from '../../support/raw-spec-fixtures.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const PIPELINES = path.join(REPO_ROOT, 'pipelines');
const churn = rawServingSpecOf(loadPipelineSpec('churn', PIPELINES)) as RawServingSpec;

/** The first `n` churn customers of the shipped data, checked as the endpoint checks a CSV body. */
function churnCustomers(n: number): CheckedRecords {
  const [header = [], ...rows] = parseCsv(readFileSync(path.join(PIPELINES, 'churn/data/telco_churn.csv'), 'utf8'));
  const records = rows.slice(0, n).map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
  return checkRawRecords(churn, records, 'csv', churn.nullValues);
}

/** What an auditor answers: one request of every record, then one request per record. */
async function featuresOf(auditor: FeatureAuditor, records: CheckedRecords): Promise<{ together: RawFeatures; one: RawFeatures[] }> {
  const together = await auditor.featurize(records.rows);
  const one = await Promise.all(records.rows.slice(0, 20).map((row) => auditor.featurize([row])));
  return { together, one };
}

describe('startFeatureAuditor', () => {
  describe('churn', () => {
    it('featurizes records to the floats DuckDB gives in-process when the worker audits them', async () => {
      // Prepare
      const customers = churnCustomers(300);
      const inProcess = await openDuckDbAuditor(churn);
      const expected = await featuresOf(inProcess, customers).finally(() => inProcess.close());
      const auditor = await startFeatureAuditor(churn);

      try {
        // Act
        const answers = await featuresOf(auditor, customers);

        // Assess
        expect(answers.together.nRows).toBe(300);
        expect(answers.together.nCols).toBe(expected.together.nCols);
        expect(Array.from(answers.together.values)).toEqual(Array.from(expected.together.values));
        expect(answers.one.map((features) => Array.from(features.values))).toEqual(expected.one.map((features) => Array.from(features.values)));
      } finally {
        await auditor.close();
      }
    });

    it('ends its worker thread by itself when closed', async () => {
      // Prepare
      const [row = []] = churnCustomers(1).rows;
      const auditor = await startFeatureAuditor(churn);
      await auditor.featurize([row]);

      // Act
      await auditor.close();

      // Assess: the auditor learns that its worker stopped only from the thread's exit event; code 0 is a thread that
      // ended on its own (terminate() would give 1).
      await expect(auditor.featurize([row])).rejects.toThrow(new FeatureAuditorError('the feature auditor stopped (exit code 0)'));
    });
  });

  describe('a scoring query DuckDB cannot prepare', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'feature-auditor-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('rejects with FeatureAuditorError naming what failed when the query calls a function DuckDB lacks', async () => {
      // Prepare
      const spec = ordersRawSpec(dir, "SELECT IF(status = 'open', 1, 0) AS label, amount, no_such_function(amount) AS odd FROM orders");

      // Act
      const starting = startFeatureAuditor(spec);

      // Assess
      await expect(starting).rejects.toThrow(FeatureAuditorError);
      await expect(starting).rejects.toThrow(/the feature auditor could not open: .*no_such_function/);
    });
  });
});
