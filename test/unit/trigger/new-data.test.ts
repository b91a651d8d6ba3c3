import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { noNewDataReason } from '../../../core/trigger/new-data.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';

const BUCKET = 'lake';

/** The spec fields the check reads. */
function spec(whenNoNewData: 'skip' | 'retrain' | undefined): PipelineSpec {
  return {
    name: 'churn',
    training: {},
    ...(whenNoNewData ? { schedule: { expression: 'rate(1 day)', timezone: 'UTC', enabled: true, whenNoNewData } } : {}),
  } as unknown as PipelineSpec;
}

describe('noNewDataReason', () => {
  let root: string;
  let store: FolderObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-new-data-'));
    store = new FolderObjectStore(root);
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function put(key: string, body: string, at: string): Promise<void> {
    await store.putText({ bucket: BUCKET, key }, body);
    await utimes(store.pathOf({ bucket: BUCKET, key }), new Date(at), new Date(at));
  }

  /** A promoted run that started at `startedAt` and curated `keys`. */
  async function promotedRun(runId: string, startedAt: string, keys: string[], version = 3): Promise<void> {
    const manifest = { runId, pipeline: 'churn', status: 'SUCCEEDED', startedAt, finishedAt: startedAt, ingest: [{ curatedKeys: keys }], stages: { evaluation: { promote: true, candidate: { version } } } };
    for (const key of keys) await put(key, 'parquet', startedAt.replace(':00.000Z', ':30.000Z'));
    await put(`runs/churn/${runId}.json`, JSON.stringify(manifest), startedAt.replace(':00.000Z', ':50.000Z'));
  }

  describe('no curated data since the production model', () => {
    it('says which model and data the skip keeps when nothing was curated after its run started', async () => {
      // Prepare
      await put('curated/churn/ingest_date=2026-11-20/part-old.parquet', 'p', '2026-11-20T10:00:00.000Z');
      await promotedRun('churn-r1', '2026-11-28T10:00:00.000Z', ['curated/churn/ingest_date=2026-11-28/part-a.parquet']);

      // Act
      const reason = await noNewDataReason(spec('skip'), store, BUCKET);

      // Assess
      expect(reason).toBe('no new data since model v3 (run churn-r1, trained on curated data up to 2026-11-28T10:00:30.000Z)');
    });

    it('trains anyway when the spec says retrain', async () => {
      // Prepare
      await promotedRun('churn-r1', '2026-11-28T10:00:00.000Z', ['curated/churn/ingest_date=2026-11-28/part-a.parquet']);

      // Act
      const reason = await noNewDataReason(spec('retrain'), store, BUCKET);

      // Assess
      expect(reason).toBeUndefined();
    });
  });

  describe('new data or no production model', () => {
    it('trains when a curated object was written after the production run started by another run', async () => {
      // Prepare
      await promotedRun('churn-r1', '2026-11-28T10:00:00.000Z', ['curated/churn/ingest_date=2026-11-28/part-a.parquet']);
      await put('curated/churn/ingest_date=2026-11-29/part-b.parquet', 'p', '2026-11-29T08:00:00.000Z');

      // Act
      const reason = await noNewDataReason(spec(undefined), store, BUCKET);

      // Assess
      expect(reason).toBeUndefined();
    });

    it('trains when no run was ever promoted', async () => {
      // Prepare
      const failed = { runId: 'churn-r0', pipeline: 'churn', status: 'FAILED', startedAt: '2026-11-27T10:00:00.000Z', ingest: [], stages: {} };
      await put('runs/churn/churn-r0.json', JSON.stringify(failed), '2026-11-27T10:01:00.000Z');

      // Act
      const reason = await noNewDataReason(spec('skip'), store, BUCKET);

      // Assess
      expect(reason).toBeUndefined();
    });

    it('compares with the newest promoted run when a later run was not promoted', async () => {
      // Prepare
      await promotedRun('churn-r1', '2026-11-26T10:00:00.000Z', ['curated/churn/ingest_date=2026-11-26/part-a.parquet'], 2);
      await put('curated/churn/ingest_date=2026-11-27/part-b.parquet', 'p', '2026-11-27T10:00:30.000Z');
      const refused = { runId: 'churn-r2', pipeline: 'churn', status: 'SUCCEEDED', startedAt: '2026-11-27T10:00:00.000Z', ingest: [{ curatedKeys: ['curated/churn/ingest_date=2026-11-27/part-b.parquet'] }], stages: { evaluation: { promote: false, candidate: { version: 3 } } } };
      await put('runs/churn/churn-r2.json', JSON.stringify(refused), '2026-11-27T10:00:50.000Z');

      // Act
      const reason = await noNewDataReason(spec('skip'), store, BUCKET);

      // Assess: part-b came after model v2's run; the refused v3 does not count as production.
      expect(reason).toBeUndefined();
    });
  });
});
