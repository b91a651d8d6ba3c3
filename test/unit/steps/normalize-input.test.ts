import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { normalizeInput } from '../../../core/steps/normalize-input.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

describe('normalizeInput', () => {
  const spec = specFrom(SMALL_SPEC_YAML);
  const deps = async () => ({ store: new FolderObjectStore(await mkdtemp(path.join(tmpdir(), 'sluice-ni-'))), specs: fixedSpecCatalog([spec]), lakeBucket: 'lake' });
  const state = (input: unknown) => ({ input, executionName: 'run-1', startTime: '2026-11-29T10:00:00Z' });

  describe('keys that could resolve outside the lake', () => {
    it('fails with InvalidRunInputError naming the problem when a manual key climbs out with ".."', async () => {
      // Act
      const run = normalizeInput(state({ pipeline: 'orders', key: 'incoming/orders/../../registry/orders/v000001.json' }), await deps());

      // Assess
      await expect(run).rejects.toMatchObject({
        name: 'InvalidRunInputError',
        message: 'Input object s3://lake/incoming/orders/../../registry/orders/v000001.json is refused: the key has a ".." segment',
      });
    });

    it('fails with InvalidRunInputError when a manual input names a bucket that climbs out of the lake root', async () => {
      // Act
      const run = normalizeInput(state({ pipeline: 'orders', objects: [{ bucket: '../x', key: 'incoming/orders/a.csv' }] }), await deps());

      // Assess
      await expect(run).rejects.toMatchObject({ name: 'InvalidRunInputError', message: expect.stringContaining('"../x" is not a valid S3 bucket name') });
    });

    it('checks the decoded key when an S3 event URL-encodes a ".." segment', async () => {
      // Prepare
      const event = { 'detail-type': 'Object Created', source: 'aws.s3', detail: { bucket: { name: 'lake' }, object: { key: 'incoming/orders/%2E%2E/%2E%2E/runs/a.csv' } } };

      // Act
      const run = normalizeInput(state(event), await deps());

      // Assess
      await expect(run).rejects.toMatchObject({ name: 'InvalidRunInputError', message: expect.stringContaining('the key has a ".." segment') });
    });
  });
});
