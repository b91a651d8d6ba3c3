import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { mulberry32 } from '../../../core/support/mulberry32.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { runLocalScoring } from '../../../local/runtime/run-local-scoring.js';
import { localAthenaQuery } from '../../../local/scoring/local-query.js';
import { freshLake, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/multiclass');

/** Three Gaussian clusters (`id,x1,x2,x3,species`), as the multi-class workflow test makes them. */
function clusters(rows: number, seed: number, withLabel: boolean): string {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const lines = [withLabel ? 'id,x1,x2,x3,species' : 'id,x1,x2,x3'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const values = [i, (c * 1.5 + gauss()).toFixed(4), (-c + gauss()).toFixed(4), rand().toFixed(4)];
    lines.push([...values, ...(withLabel ? [c] : [])].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('batch scoring of a multi-class model (local runtime)', () => {
  let lake: string;

  afterAll(async () => {
    await testServers.closeAll();
    await rm(lake, { recursive: true, force: true });
  });

  describe('a multi:softprob pipeline', () => {
    it('writes one probability column per class and the most probable class when rows without a label are scored', async () => {
      // Prepare
      lake = await freshLake();
      const spec = loadPipelineSpec(FIXTURE, FIXTURE);
      const training = await runOnContent(spec, lake, 'clusters.csv', clusters(600, 3, true));
      expect(training.error).toBeUndefined();
      const key = 'score/species/new.csv';
      await mkdir(path.dirname(path.join(lake, LOCAL_LAKE_BUCKET, key)), { recursive: true });
      await writeFile(path.join(lake, LOCAL_LAKE_BUCKET, key), clusters(30, 9, false));

      // Act
      const summary = await runLocalScoring({ lake, pipeline: 'species', key, projectRoot: REPO_ROOT, specs: fixedSpecCatalog([spec]) });
      expect(summary.error).toBeUndefined();
      const rows = await localAthenaQuery(lake, `SELECT * FROM species_predictions WHERE scoring_run_id = '${summary.scoreRunId}' ORDER BY source_row`);

      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.manifest?.rows).toEqual({ input: 30, valid: 30, quarantined: 0, scored: 30 });
      expect(Object.keys(rows[0] ?? {})).toEqual(expect.arrayContaining(['predicted_label', 'probability_0', 'probability_1', 'probability_2']));
      for (const row of rows) {
        const probabilities = [row.probability_0, row.probability_1, row.probability_2].map(Number);
        expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(row.predicted_label).toBe(String(probabilities.indexOf(Math.max(...probabilities))));
      }
    });
  });
});
