import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { signalCsv, signalPipeline } from '../../support/signal-pipeline.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { startContinuousClients } from '../serving/continuous-clients.js';

afterAll(() => testServers.closeAll());

const churn = loadPipelineSpec('churn', path.join(REPO_ROOT, 'pipelines'));

async function ping(url: string): Promise<{ modelVersion: number }> {
  return (await (await fetch(`${url}/ping`)).json()) as { modelVersion: number };
}

describe('local workflow: training, tuning, gate and deployment', () => {
  describe('the churn pipeline', () => {
    it('tunes XGBoost, records every metric and serves the best model when the first file arrives', async () => {
      // Prepare
      const lake = await freshLake();

      // Act
      const summary = await runOnContent(churn, lake, 'telco_churn.csv', await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv')));

      // Assess
      expect(summary.error).toBeUndefined();
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/churn/${summary.runId}.json`), 'utf8')) as {
        stages: {
          training: { mode: string; bestTrainingJobName: string; hyperparameters: Record<string, string>; metrics: Record<string, number>; evaluation: Record<string, unknown> };
        };
      };
      const training = manifest.stages.training;
      expect(training.mode).toBe('tune');
      expect(training.bestTrainingJobName).toMatch(/^sluice-local-c[a-z-]*-tune-[0-9a-f]{12}-\d{3}$/);
      expect(Object.keys(training.hyperparameters)).toEqual(expect.arrayContaining(['eta', 'max_depth', 'min_child_weight', 'subsample', 'num_round']));
      expect(training.metrics['validation:auc']).toBeGreaterThan(0.8);
      expect(Object.keys(training.evaluation)).toEqual(
        expect.arrayContaining(['auc', 'logloss', 'accuracy', 'precision', 'recall', 'specificity', 'f1', 'confusionMatrix']),
      );
      expect(summary.model).toMatchObject({ version: 1, promoted: true });
      expect(summary.model?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `${'0,'.repeat(24)}1\n` });
      expect(answer.status).toBe(200);
      expect(Number(await answer.text())).toBeGreaterThanOrEqual(0);
    });
  });

  describe('three runs in a row', () => {
    it('promotes the first, keeps it when worse data arrives, and swaps in a better one without failing a request', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = await signalPipeline({
        training: '{ hyperparameters: { objective: "binary:logistic", eval_metric: auc, num_round: 60, max_depth: 4, eta: 0.2 } }',
        gate: '{ metric: "validation:auc", direction: Maximize, minimum: 0.7, minImprovement: 0.005 }',
        deployment: '{ mode: realtime, trafficShift: canary, instanceCount: 2 }',
      });

      // Act 1: a small clean file
      const first = await runOnContent(spec, lake, 'a.csv', signalCsv(400, 1));

      // Assess 1
      expect(first.error).toBeUndefined();
      expect(first.model).toMatchObject({ version: 1, promoted: true });
      const url = first.model?.endpoint ?? '';
      expect(await ping(url)).toMatchObject({ modelVersion: 1 });

      // Act 2: labels shuffled
      const second = await runOnContent(spec, lake, 'b.csv', signalCsv(400, 2, true));

      // Assess 2
      expect(second.status).toBe('SUCCEEDED');
      expect(second.model).toMatchObject({ version: 2, promoted: false });
      expect(second.model?.reasons.join(' ')).toMatch(/does not (meet the minimum|beat production)/);
      expect(await ping(url)).toMatchObject({ modelVersion: 1 });
      const registry2 = JSON.parse(await readFile(lakePath(lake, 'registry/signal/v000002.json'), 'utf8')) as { status: string };
      expect(registry2.status).toBe('Rejected');

      // Act 3: much more clean data, with a client calling the endpoint all along: answered by model 1 before the
      // run, and after it by the model the run deployed
      const client = startContinuousClients({
        url: `${url}/invocations`,
        body: '0.5,0.5,0.5,0.1\n-0.5,0.2,0.1,0\n',
        headers: { 'content-type': 'text/csv' },
        clients: 1,
        // The run paces the client, not this bound: it only ends a client that a failed test left running.
        maxRequestsPerClient: 1_000_000,
      });
      let third: RunSummary | undefined;
      let runStarted = Number.POSITIVE_INFINITY;
      let runEnded = Number.POSITIVE_INFINITY;
      try {
        await client.answeredAfter(Number.NEGATIVE_INFINITY, 1);
        runStarted = performance.now();
        third = await runOnContent(spec, lake, 'c.csv', signalCsv(20_000, 3));
        runEnded = performance.now();
        await client.answeredAfter(runEnded, 10);
      } finally {
        await client.stop();
      }

      // Assess 3
      expect(third?.error).toBeUndefined();
      expect(third?.model).toMatchObject({ version: 3, promoted: true, endpoint: url });
      expect(await ping(url)).toMatchObject({ modelVersion: 3 });
      expect(client.failures).toEqual([]);
      expect(client.answers.every((answer) => answer.text.trim().split('\n').length === 2)).toBe(true);
      expect(client.answers.filter((answer) => answer.at <= runStarted).length).toBeGreaterThanOrEqual(1);
      expect(client.answers.filter((answer) => answer.at > runEnded).length).toBeGreaterThanOrEqual(10);
    });
  });
});
