import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readObjectList } from '../../../core/manifest/object-list.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { normalizeInput } from '../../../core/steps/normalize-input.js';
import type { ObjectInfo, ObjectRef } from '../../../core/ports/object-store.js';
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

  describe('the version an upload event names', () => {
    /** A folder store that records every head, and answers it with the version it was asked for. */
    const recordingDeps = async () => {
      const base = await deps();
      const heads: ObjectRef[] = [];
      const store = Object.assign(Object.create(base.store) as FolderObjectStore, {
        head: (ref: ObjectRef): Promise<ObjectInfo> => {
          heads.push(ref);
          return Promise.resolve({ ...ref, size: 5, etag: 'e', lastModified: '2026-11-29T09:00:00.000Z' });
        },
      });
      return { deps: { ...base, store }, heads };
    };

    it('looks the object up at the version start-run passed when the run is an upload', async () => {
      // Prepare
      const { deps: withRecorder, heads } = await recordingDeps();
      const upload = { trigger: 'upload', pipeline: 'orders', object: { bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v-old', etag: 'e' } };

      // Act
      const run = await normalizeInput(state(upload), withRecorder);

      // Assess
      expect(heads).toEqual([{ bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v-old' }]);
      expect(run.objects).toEqual([{ bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v-old', etag: 'e', size: 5, lastModified: '2026-11-29T09:00:00.000Z' }]);
    });

    it('looks the object up at the event version-id when a rule targets the state machine directly', async () => {
      // Prepare
      const { deps: withRecorder, heads } = await recordingDeps();
      const event = { 'detail-type': 'Object Created', source: 'aws.s3', detail: { bucket: { name: 'lake' }, object: { key: 'incoming/orders/a.csv', 'version-id': 'v-old' } } };

      // Act
      await normalizeInput(state(event), withRecorder);

      // Assess
      expect(heads).toEqual([{ bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v-old' }]);
    });

    it('looks every object up at its version as an upload run when start-run passes a coalesced batch', async () => {
      // Prepare
      const { deps: withRecorder, heads } = await recordingDeps();
      const batch = {
        trigger: 'upload',
        pipeline: 'orders',
        objects: [
          { bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v1', etag: 'e', size: 5 },
          { bucket: 'lake', key: 'incoming/orders/b.csv', etag: 'e' },
        ],
      };

      // Act
      const run = await normalizeInput(state(batch), withRecorder);

      // Assess
      expect(heads).toEqual([
        { bucket: 'lake', key: 'incoming/orders/a.csv', versionId: 'v1' },
        { bucket: 'lake', key: 'incoming/orders/b.csv' },
      ]);
      expect(run.trigger).toBe('upload');
      expect(run.objects.map((o) => o.key)).toEqual(['incoming/orders/a.csv', 'incoming/orders/b.csv']);
    });
  });
  describe('the object list the ingest map reads', () => {
    /** Writes files into the lake of a folder store; returns the deps. */
    const withFiles = async (files: Record<string, string>) => {
      const root = await mkdtemp(path.join(tmpdir(), 'sluice-ni-'));
      for (const [key, body] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(root, 'lake', key)), { recursive: true });
        await writeFile(path.join(root, 'lake', key), body);
      }
      return { store: new FolderObjectStore(root), specs: fixedSpecCatalog([spec]), lakeBucket: 'lake' };
    };

    it('writes every named object to the run object list with its size and the spec threshold when the input lists objects', async () => {
      // Prepare
      const d = await withFiles({ 'incoming/orders/a.csv': 'id\n1\n', 'incoming/orders/b.csv': 'id\n1\n2\n' });

      // Act
      const run = await normalizeInput(state({ pipeline: 'orders', objects: [{ key: 'incoming/orders/a.csv' }, { key: 'incoming/orders/b.csv' }] }), d);

      // Assess
      expect(run.objectList).toEqual({ bucket: 'lake', key: 'ingest/_runs/orders/run-1/objects.json', count: 2, bytes: 12, largeFileBytes: 2 * 1024 ** 3 });
      const listed = await readObjectList(d.store, 'lake', 'ingest/_runs/orders/run-1/objects.json');
      expect(listed).toEqual(run.objects);
      expect(listed.map((o) => [o.key, o.size])).toEqual([['incoming/orders/a.csv', 5], ['incoming/orders/b.csv', 7]]);
    });

    it('lists the folder into the object list and keeps the objects out of the state when the input names a prefix', async () => {
      // Prepare
      const d = await withFiles({ 'incoming/orders/export/p1.csv': 'id\n1\n', 'incoming/orders/export/p2.csv': 'id\n2\n', 'incoming/orders/other.csv': 'id\n3\n' });

      // Act
      const run = await normalizeInput(state({ pipeline: 'orders', prefix: 'incoming/orders/export/' }), d);

      // Assess
      expect(run.objects).toEqual([]);
      expect(run.objectList).toMatchObject({ count: 2, bytes: 10 });
      const listed = await readObjectList(d.store, 'lake', run.objectList?.key ?? '');
      expect(listed.map((o) => o.key)).toEqual(['incoming/orders/export/p1.csv', 'incoming/orders/export/p2.csv']);
    });

    it('writes no object list when the run retrains on curated data', async () => {
      // Act
      const run = await normalizeInput(state({ pipeline: 'orders' }), await deps());

      // Assess
      expect(run.objectList).toBeUndefined();
    });

    it.each([
      ['a folder without its trailing slash', { pipeline: 'orders', prefix: 'incoming/orders/export' }, 'InvalidRunInputError', 'must end with "/"'],
      ['a folder that climbs out of the lake', { pipeline: 'orders', prefix: 'incoming/../runs/' }, 'InvalidRunInputError', 'has a ".." segment'],
      ['an empty folder', { pipeline: 'orders', prefix: 'incoming/orders/none/' }, 'ObjectNotFoundError', 'holds no objects'],
      ['both a key and a prefix', { pipeline: 'orders', key: 'incoming/orders/a.csv', prefix: 'incoming/orders/' }, 'InvalidRunInputError', 'give one of "key", "objects" or "prefix"'],
      ['more objects than the state may carry', { pipeline: 'orders', objects: Array.from({ length: 501 }, (_, i) => ({ key: `incoming/orders/${i}.csv` })) }, 'InvalidRunInputError', 'objects'],
    ])('fails naming the problem when the input gives %s', async (_case, input, name, message) => {
      // Act
      const run = normalizeInput(state(input), await deps());

      // Assess
      await expect(run).rejects.toMatchObject({ name, message: expect.stringContaining(message) });
    });
  });
});
