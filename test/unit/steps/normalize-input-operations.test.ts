import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { normalizeInput } from '../../../core/steps/normalize-input.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

/**
 * Issue 13: the console's manual inputs fail at once, showing the shapes expected, and a scheduled run with no new
 * data since the production model's follows `schedule.whenNoNewData`.
 */
describe('normalizeInput', () => {
  const small = specFrom(SMALL_SPEC_YAML);
  // The plan reads only whether these sections exist: a training pipeline without a features file on disk.
  const training = (whenNoNewData: 'skip' | 'retrain'): PipelineSpec =>
    ({ ...small, features: { validationRatio: 0.2 }, training: {}, schedule: { expression: 'rate(1 day)', timezone: 'UTC', enabled: true, whenNoNewData } }) as unknown as PipelineSpec;
  const state = (input: unknown) => ({ input, executionName: 'orders-20261130T010000Z-abc123', startTime: '2026-11-30T01:00:00Z' });
  const lake = async () => new FolderObjectStore(await mkdtemp(path.join(tmpdir(), 'sluice-ni-ops-')));

  /** A lake whose production model (v2) was trained by a run that curated the only data there is. */
  async function lakeWithProductionModel(): Promise<FolderObjectStore> {
    const store = await lake();
    const key = 'curated/orders/status=open/part-a.parquet';
    await store.putText({ bucket: 'lake', key }, 'parquet');
    const manifest = { runId: 'orders-r1', pipeline: 'orders', status: 'SUCCEEDED', startedAt: '2000-01-01T00:00:00.000Z', ingest: [{ curatedKeys: [key] }], stages: { evaluation: { promote: true, candidate: { version: 2 } } } };
    await store.putText({ bucket: 'lake', key: 'runs/orders/orders-r1.json' }, JSON.stringify(manifest));
    return store;
  }

  describe('a malformed manual input', () => {
    it.each([
      ['a misspelt field', { pipeline: 'orders', file: 'incoming/orders/a.csv' }, 'file'],
      ['no pipeline', { key: 'incoming/orders/a.csv' }, 'pipeline'],
      ['a key that is not a string', { pipeline: 'orders', key: 42 }, 'key'],
    ])('fails at once with every expected shape when the input has %s', async (_, input, field) => {
      // Act
      const run = normalizeInput(state(input), { store: await lake(), specs: fixedSpecCatalog([small]), lakeBucket: 'lake' });

      // Assess
      await expect(run).rejects.toMatchObject({ name: 'InvalidRunInputError' });
      const message = await run.catch((error: Error) => error.message);
      expect(message).toContain('not an upload, a schedule or a manual input');
      expect(message).toContain(field);
      for (const shape of ['"key": "incoming/churn/telco_churn.csv"', '"objects": [', '"prefix": "incoming/churn/export-2026-11/"', '{"pipeline": "churn"}   (retrain']) {
        expect(message).toContain(shape);
      }
    });
  });

  describe('a scheduled run', () => {
    it('trains nothing and says why when the spec skips and nothing was curated since the production model', async () => {
      // Prepare
      const store = await lakeWithProductionModel();

      // Act
      const run = await normalizeInput(state({ trigger: 'schedule', pipeline: 'orders' }), { store, specs: fixedSpecCatalog([training('skip')]), lakeBucket: 'lake' });

      // Assess
      expect(run.trigger).toBe('schedule');
      expect(run.plan).toEqual({ features: false, training: 'none', deploy: false });
      expect(run.skipped).toMatch(/^no new data since model v2 \(run orders-r1, trained on curated data up to /);
    });

    it('retrains on the curated data when the spec says retrain', async () => {
      // Prepare
      const store = await lakeWithProductionModel();

      // Act
      const run = await normalizeInput(state({ trigger: 'schedule', pipeline: 'orders' }), { store, specs: fixedSpecCatalog([training('retrain')]), lakeBucket: 'lake' });

      // Assess
      expect(run.plan).toEqual({ features: true, training: 'train', deploy: false });
      expect(run.skipped).toBeUndefined();
    });

    it('retrains when the input is a manual retrain, whatever the schedule says', async () => {
      // Prepare
      const store = await lakeWithProductionModel();

      // Act
      const run = await normalizeInput(state({ pipeline: 'orders' }), { store, specs: fixedSpecCatalog([training('skip')]), lakeBucket: 'lake' });

      // Assess
      expect(run.trigger).toBe('manual');
      expect(run.plan.training).toBe('train');
      expect(run.skipped).toBeUndefined();
    });
  });
});
