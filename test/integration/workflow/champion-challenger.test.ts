import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluatePredictions } from '../../../core/evaluation/model-metrics.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { readChannel } from '../../../local/xgboost/data.js';
import { loadXgboostModel } from '../../../local/xgboost/index.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { smallReviewsSpec } from '../../support/reviews-spec.js';

afterAll(() => testServers.closeAll());

const churn = loadPipelineSpec('churn', path.join(REPO_ROOT, 'pipelines'));

/** The manifest sections this test reads. */
interface Manifest {
  stages: {
    features: { validation: { location: string } };
    evaluation: { decision: { reasons: string[] }; production?: { version: number; metrics: Record<string, number> } };
  };
}

/** The data file split in two halves, each with the header, so the second run brings new rows. */
async function halves(): Promise<[string, string]> {
  const [header, ...rows] = (await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv'), 'utf8')).trimEnd().split('\n');
  const middle = Math.floor(rows.length / 2);
  return [`${[header, ...rows.slice(0, middle)].join('\n')}\n`, `${[header, ...rows.slice(middle)].join('\n')}\n`];
}

describe('champion/challenger evaluation transforms', () => {
  describe('two churn runs in a row', () => {
    it("passes through on the first run and scores the production model on the candidate's set on the second", async () => {
      // Prepare
      const lake = await freshLake();
      const [first, second] = await halves();

      // Act
      const one = await runOnContent(churn, lake, 'first.csv', first);
      const two = await runOnContent(churn, lake, 'second.csv', second);

      // Assess: the first run has no production model and a locally evaluated candidate: the states pass through
      expect(one.error).toBeUndefined();
      const firstSteps = one.steps.map((s) => s.name);
      expect(firstSteps).toContain('StartEvaluationTransform');
      expect(firstSteps).not.toContain('DescribeEvaluationTransform');
      expect(firstSteps).not.toContain('ComputeEvaluationMetrics');
      expect(one.model).toMatchObject({ version: 1, promoted: true });
      // Assess: the second run scores version 1 through the local batch scorer and gates on its full metrics
      expect(two.error).toBeUndefined();
      expect(two.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['StartEvaluationTransform', 'DescribeEvaluationTransform', 'ComputeEvaluationMetrics', 'EvaluateModel']));
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/churn/${two.runId}.json`), 'utf8')) as Manifest;
      const production = manifest.stages.evaluation.production;
      expect(production?.version).toBe(1);
      const onSet = Object.fromEntries(Object.entries(production?.metrics ?? {}).filter(([k]) => k.startsWith('candidateSet:')));
      expect(Object.keys(onSet).sort()).toEqual(
        ['accuracy', 'auc', 'f1', 'logloss', 'precision', 'recall', 'specificity'].map((m) => `candidateSet:evaluation:${m}`),
      );
      expect(manifest.stages.evaluation.decision.reasons.join(' ')).toContain("production version 1 was scored on this run's validation set");
      // Assess: the very numbers an in-process prediction of the same rows with the same model gives
      const store = new FolderObjectStore(lake);
      const registered = JSON.parse(await readFile(lakePath(lake, 'registry/churn/v000001.json'), 'utf8')) as { modelArtifact: string };
      const validation = await readChannel([store.pathOfUri(manifest.stages.features.validation.location)]);
      const model = loadXgboostModel(store.pathOfUri(registered.modelArtifact));
      try {
        const expected = evaluatePredictions(model.objective, validation.labels, model.predict(validation.features, validation.nRows, validation.nCols));
        expect(expected.kind).toBe('binary');
        if (expected.kind === 'binary') {
          expect(onSet['candidateSet:evaluation:auc']).toBe(expected.auc);
          expect(onSet['candidateSet:evaluation:logloss']).toBe(expected.logloss);
          expect(onSet['candidateSet:evaluation:f1']).toBe(expected.f1);
        }
      } finally {
        model.free();
      }
    });
  });

  describe('two reviews runs in a row (text)', () => {
    it("scores the production fastText model on the candidate's set with the text metrics when a second file arrives", async () => {
      // Prepare: the shipped spec made small (few epochs, 2 trials), as the reviews pipeline test does
      const dir = await mkdtemp(path.join(tmpdir(), 'sluice-champion-reviews-'));
      const spec = await smallReviewsSpec(dir);
      const lake = await freshLake();
      const data = path.join(REPO_ROOT, 'pipelines/reviews/data');

      // Act
      const one = await runOnContent(spec, lake, 'train.csv', await readFile(path.join(data, 'fine_foods_reviews_train.csv')));
      const two = await runOnContent(spec, lake, 'test.csv', await readFile(path.join(data, 'fine_foods_reviews_test.csv')));

      // Assess
      expect(one.error).toBeUndefined();
      expect(one.steps.map((s) => s.name)).not.toContain('ComputeEvaluationMetrics');
      expect(two.error).toBeUndefined();
      expect(two.steps.map((s) => s.name)).toContain('ComputeEvaluationMetrics');
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/reviews/${two.runId}.json`), 'utf8')) as Manifest;
      const metrics = manifest.stages.evaluation.production?.metrics ?? {};
      expect(metrics['candidateSet:evaluation:accuracy']).toBeGreaterThan(0);
      expect(metrics['candidateSet:evaluation:macro_f1']).toBeGreaterThan(0);
      expect(Object.keys(metrics).filter((k) => k.startsWith('candidateSet:evaluation:f1@')).length).toBeGreaterThanOrEqual(2);
      expect(manifest.stages.evaluation.decision.reasons.join(' ')).toContain("production version 1 was scored on this run's validation set");
    });
  });
});
