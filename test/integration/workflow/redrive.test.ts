import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { executionRecordPath, readExecutionRecord } from '../../../local/runtime/failure-recorder.js';
import { redriveLocal } from '../../../local/runtime/redrive.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { main } from '../../../local/cli/main.js';
import type { RunNotification } from '../../../core/ports/notifier.js';
import { freshLake, lakePath, runOnContent } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/**
 * A failed run is redriven from the state that failed (issue 10, item 3): the churn pipeline, one short training job,
 * no endpoint. Its first training fails the way a real job fails on a bad setting (a gamma objective on 0/1 labels,
 * which XGBoost refuses while training), the test fixes pipeline.yml as a person would, and `redrive` resumes at the
 * failed state: the states before it do not run again, and the run finishes.
 */
async function churnFolder(objective: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-redrive-'));
  await writeChurnSpec(dir, objective);
  await copyFile(path.join(REPO_ROOT, 'pipelines', 'churn', 'features.sql'), path.join(dir, 'features.sql'));
  return dir;
}

async function writeChurnSpec(dir: string, objective: string): Promise<void> {
  const document = parseDocument(await readFile(path.join(REPO_ROOT, 'pipelines', 'churn', 'pipeline.yml'), 'utf8'));
  document.setIn(['tuning', 'enabled'], false);
  document.setIn(['training', 'hyperparameters', 'num_round'], 20);
  document.setIn(['training', 'hyperparameters', 'objective'], objective);
  // AUC needs a binary objective: the broken spec asks for RMSE, as its author would have.
  document.setIn(['training', 'hyperparameters', 'eval_metric'], objective.startsWith('binary:') ? 'auc' : 'rmse');
  document.delete('deployment');
  await writeFile(path.join(dir, 'pipeline.yml'), String(document));
}

function load(dir: string): PipelineSpec {
  return loadPipelineSpec(dir, dir);
}

describe('local redrive', () => {
  describe('a run whose training failed, redriven once its spec is fixed', () => {
    it('resumes at the failed state with its input and finishes SUCCEEDED when the cause is gone', async () => {
      // Prepare
      const lake = await freshLake();
      const dir = await churnFolder('reg:gamma');
      const csv = await readFile(path.join(REPO_ROOT, 'pipelines', 'churn', 'data', 'telco_churn.csv'));
      const failed = await runOnContent(load(dir), lake, 'telco_churn.csv', csv);
      const failedState = failed.error?.state;
      const firstManifest = JSON.parse(await readFile(lakePath(lake, `runs/churn/${failed.runId}.json`), 'utf8')) as Record<string, unknown>;
      const failureNotice = JSON.parse(await readFile(lakePath(lake, `notifications/churn/${failed.runId}.json`), 'utf8')) as RunNotification;
      await writeChurnSpec(dir, 'binary:logistic');
      const printed: string[] = [];
      const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);

      // Act: `sluice resume` (issue 13), the user-facing name of the redrive.
      const exitCode = await main(['resume', failed.runId, '--lake', lake, '--json']).finally(() => stdout.mockRestore());
      const redriven = JSON.parse(printed.join('')) as RunSummary;

      // Assess
      expect(failed.status).toBe('FAILED');
      expect(['StartTraining', 'DescribeTraining']).toContain(failedState);
      expect(firstManifest).toMatchObject({
        status: 'FAILED',
        execution: { arn: `local:${failed.runId}`, status: 'FAILED', redriveCount: 0, failedState },
        error: { name: failed.error?.name },
      });
      // The failure's notification carries the failed state and the error (issue 13).
      expect(failureNotice).toMatchObject({ outcome: 'failed', subject: `Sluice churn: FAILED in ${failedState}: ${failed.error?.name}` });
      expect(failureNotice.body).toContain(`Failed state: ${failedState}`);
      expect(failureNotice.body).toContain(`Error: ${failed.error?.name}: `);
      expect(exitCode).toBe(0);
      expect(redriven.error).toBeUndefined();
      expect(redriven.status).toBe('SUCCEEDED');
      expect(redriven.runId).toBe(failed.runId);
      // The event log of the redrive starts at the failed state: nothing before it runs again.
      const names = redriven.steps.map((s) => s.name);
      expect(names[0]).toBe(failedState);
      for (const earlier of ['NormalizeInput', 'IngestFiles', 'StartCrawler', 'GetCrawlerState', 'StartFeatureQuery', 'GetFeatureQueryState']) {
        expect(names.filter((name) => name.startsWith(earlier))).toEqual([]);
      }
      expect(names).toEqual(expect.arrayContaining(['EvaluateModel', 'RecordRun']));
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/churn/${failed.runId}.json`), 'utf8')) as { status: string; rows: { input: number } };
      expect(manifest.status).toBe('SUCCEEDED');
      expect(manifest.rows.input).toBe(7043);
      expect(await readExecutionRecord(lake, failed.runId)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      const successNotice = JSON.parse(await readFile(lakePath(lake, `notifications/churn/${failed.runId}.json`), 'utf8')) as RunNotification;
      expect(['approved, not deployed', 'not promoted']).toContain(successNotice.outcome);
    });

    it('refuses a second redrive when the run has succeeded', async () => {
      // Prepare
      const lake = await freshLake();
      const dir = await churnFolder('reg:gamma');
      const csv = await readFile(path.join(REPO_ROOT, 'pipelines', 'churn', 'data', 'telco_churn.csv'));
      const failed = await runOnContent(load(dir), lake, 'telco_churn.csv', csv);
      await writeChurnSpec(dir, 'binary:logistic');
      const specs = fixedSpecCatalog([load(dir)]);
      await redriveLocal({ projectRoot: REPO_ROOT, specs, lakeRoot: lake, runId: failed.runId });

      // Act
      const again = redriveLocal({ projectRoot: REPO_ROOT, specs, lakeRoot: lake, runId: failed.runId });

      // Assess
      await expect(again).rejects.toMatchObject({ name: 'NotRedrivableError', message: expect.stringContaining('succeeded') });
      expect(executionRecordPath(lake, failed.runId)).toBe(path.join(lake, 'executions', `${failed.runId}.json`));
    });
  });
});
