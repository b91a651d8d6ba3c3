import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { parsePipelineSpec } from '../../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { runLocalScoring } from '../../../local/runtime/run-local-scoring.js';
import type { ScoringSummary } from '../../../local/runtime/run-local-scoring.js';
import { localAthenaQuery } from '../../../local/scoring/local-query.js';
import { freshLake, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { parseCsvRows } from '../text/csv-rows.js';

const REVIEWS = path.join(REPO_ROOT, 'pipelines/reviews');

/** The shipped reviews spec, one training job instead of tuning, no endpoint, and the product carried into the predictions. */
async function reviewsSpec(dir: string): Promise<PipelineSpec> {
  const document = parseDocument(await readFile(path.join(REVIEWS, 'pipeline.yml'), 'utf8'));
  document.setIn(['tuning', 'enabled'], false);
  // Scoring needs an approved (production) model, not an endpoint: the gate approves it without deploying.
  document.deleteIn(['deployment']);
  document.setIn(['scoring'], document.createNode({ idColumns: ['product'] }));
  const yml = String(document);
  await writeFile(path.join(dir, 'pipeline.yml'), yml);
  await writeFile(path.join(dir, 'features.sql'), await readFile(path.join(REVIEWS, 'features.sql')));
  return parsePipelineSpec(yml, path.join(dir, 'pipeline.yml'));
}

const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;

describe('batch scoring of a text pipeline (local runtime)', () => {
  let work: string;
  let lake: string;
  let spec: PipelineSpec;
  let summary: ScoringSummary;
  let products: string[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sluice-reviews-scoring-'));
    spec = await reviewsSpec(work);
    lake = await freshLake();
    const training = await runOnContent(spec, lake, 'train.csv', await readFile(path.join(REVIEWS, 'data/fine_foods_reviews_train.csv')));
    if (training.error) throw new Error(`training failed: ${training.error.name}: ${training.error.message}`);
    // 30 test reviews, without their score.
    const [header = [], ...rows] = parseCsvRows(await readFile(path.join(REVIEWS, 'data/fine_foods_reviews_test.csv'), 'utf8'));
    const picked = rows.slice(0, 30);
    products = picked.map((r) => r[header.indexOf('product')] ?? '');
    const csv = ['product,review', ...picked.map((r) => `${quote(r[header.indexOf('product')] ?? '')},${quote(r[header.indexOf('review')] ?? '')}`)].join('\n');
    const key = 'score/reviews/to-classify.csv';
    await mkdir(path.dirname(path.join(lake, LOCAL_LAKE_BUCKET, key)), { recursive: true });
    await writeFile(path.join(lake, LOCAL_LAKE_BUCKET, key), `${csv}\n`);
    summary = await runLocalScoring({ lake, pipeline: 'reviews', key, projectRoot: REPO_ROOT, specs: fixedSpecCatalog([spec]) });
  });

  afterAll(async () => {
    await testServers.closeAll();
    await rm(work, { recursive: true, force: true });
    await rm(lake, { recursive: true, force: true });
  });

  describe('reviews without their score', () => {
    it('labels every review with the user labels, carrying its product, when the file is scored with fastText', async () => {
      // Act
      const rows = await localAthenaQuery(lake, `SELECT source_row, product, predicted_label, probability, model_version FROM reviews_predictions WHERE scoring_run_id = '${summary.scoreRunId}' ORDER BY source_row`);

      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.manifest?.rows).toEqual({ input: 30, valid: 30, quarantined: 0, scored: 30 });
      expect(rows.map((r) => r.product)).toEqual(products);
      expect(rows.map((r) => Number(r.source_row))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      for (const row of rows) {
        expect(['great', 'other']).toContain(row.predicted_label);
        expect(Number(row.probability)).toBeGreaterThan(0);
        expect(Number(row.probability)).toBeLessThanOrEqual(1);
      }
      expect(new Set(rows.map((r) => r.predicted_label)).size).toBe(2);
    });
  });
});
