import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { runLocalScoring } from '../../../local/runtime/run-local-scoring.js';
import type { ScoringSummary } from '../../../local/runtime/run-local-scoring.js';
import { localAthenaQuery } from '../../../local/scoring/local-query.js';
import { untunedChurnSpec } from '../../fixtures/untuned-churn.js';
import { freshLake, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const CHURN_CSV = path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv');

/** The README's query ("Scoring"), with the run's id and date in place of its placeholders. */
async function readmeQuery(scoreRunId: string, scoreDate: string): Promise<string> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const query = /<!-- scoring-query -->\s*```sql\n([\s\S]*?)```/.exec(readme)?.[1];
  if (query === undefined) throw new Error('README.md has no scoring query block');
  return query.replaceAll('<score run id>', scoreRunId).replaceAll('<score date>', scoreDate);
}

describe('batch scoring (local runtime)', () => {
  const spec = untunedChurnSpec();
  let lake: string;
  let summary: ScoringSummary;
  let lines: string[];

  beforeAll(async () => {
    lake = await freshLake();
    const csv = await readFile(CHURN_CSV, 'utf8');
    const training = await runOnContent(spec, lake, 'telco_churn.csv', csv);
    if (training.error) throw new Error(`training failed: ${training.error.name}: ${training.error.message}`);
    // 40 customers without the label column, the 3rd with a tenure the contract refuses (max 120).
    const [header = '', ...rows] = csv.trimEnd().split('\n');
    const withoutLabel = (line: string) => line.slice(line.indexOf(',') + 1);
    lines = rows.slice(0, 40).map(withoutLabel);
    lines[2] = (lines[2] ?? '').replace(/^((?:[^,]*,){4})[^,]*/, '$1999');
    const key = 'score/churn/new-customers.csv';
    const file = path.join(lake, LOCAL_LAKE_BUCKET, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${withoutLabel(header)}\n${lines.join('\n')}\n`);
    summary = await runLocalScoring({ lake, pipeline: 'churn', key, projectRoot: REPO_ROOT, specs: fixedSpecCatalog([spec]) });
  });

  afterAll(async () => {
    await testServers.closeAll();
    await rm(lake, { recursive: true, force: true });
  });

  describe('a churn file without the label', () => {
    it('scores every valid row with the production model and quarantines the bad one when the file is scored', () => {
      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('SUCCEEDED');
      expect(summary.manifest?.rows).toEqual({ input: 40, valid: 39, quarantined: 1, scored: 39 });
      expect(summary.manifest?.model.version).toBe(1);
      expect(summary.manifest?.labelPresent).toBe(false);
      expect(summary.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['ValidateScoringFile', 'StartBatchTransform', 'WritePredictions', 'CatalogPredictions', 'RecordScoringRun']));
    });

    it('reads the predictions with the README query, each row traced to its customer by source_row, when the catalog is queried', async () => {
      // Prepare
      const manifest = summary.manifest;
      const sql = await readmeQuery(summary.scoreRunId, manifest?.startedAt.slice(0, 10) ?? '');

      // Act
      const rows = await localAthenaQuery(lake, sql);

      // Assess
      expect(rows).toHaveLength(39);
      expect(rows.map((r) => Number(r.source_row))).toEqual([1, 2, ...Array.from({ length: 37 }, (_, i) => i + 4)]);
      for (const row of rows) {
        expect(['Yes', 'No']).toContain(row.predicted_label);
        expect(Number(row.probability)).toBeGreaterThanOrEqual(0);
        expect(Number(row.probability)).toBeLessThanOrEqual(1);
        expect(row.predicted_label).toBe(Number(row.probability) >= 0.5 ? 'Yes' : 'No');
        expect(Number(row.model_version)).toBe(1);
      }
      // The first customer's own attributes come back beside their prediction.
      expect(rows[0]).toMatchObject({ source_row: '1', contract: 'Month-to-month', tenure: '1' });
    });
  });
});
