import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineSpecError } from '../../../core/errors.js';
import { objectKeyProblem } from '../../../core/trigger/object-key.js';
import { decodeAndCheckS3EventKey } from '../../../core/trigger/s3-event-key.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

describe('object key confinement', () => {
  describe('objectKeyProblem', () => {
    it.each([
      ['incoming/orders/../../registry/orders/v000001.json', 'has a ".." segment'],
      ['/etc/passwd', 'is absolute (starts with "/")'],
      ['incoming\\orders\\a.csv', 'holds a backslash'],
      ['incoming/./a.csv', 'has a "." segment'],
      ['incoming//a.csv', 'has an empty segment ("//")'],
    ])('refuses %s when the key could resolve outside the lake', (key, problem) => {
      // Act
      const found = objectKeyProblem(key);

      // Assess
      expect(found).toBe(problem);
    });

    it('accepts a key with dots inside names and a folder key when nothing climbs', () => {
      // Act
      const found = [objectKeyProblem('incoming/orders/v1..2.csv'), objectKeyProblem('incoming/orders/')];

      // Assess
      expect(found).toEqual([undefined, undefined]);
    });
  });

  describe('S3 event keys', () => {
    it('checks the decoded key when the event URL-encodes a ".." segment', () => {
      // Act
      const checked = decodeAndCheckS3EventKey('incoming/orders/%2E%2E/%2E%2E/runs/x.csv');

      // Assess
      expect(checked).toEqual({ key: 'incoming/orders/../../runs/x.csv', problem: 'has a ".." segment' });
    });

    it('reports a key that is not valid URL encoding instead of throwing when the event is hostile', () => {
      // Act
      const checked = decodeAndCheckS3EventKey('incoming/orders/%E0%A4%A.csv');

      // Assess
      expect(checked.problem).toBe('is not a valid URL-encoded key');
    });
  });

  describe('spec source.prefix', () => {
    it.each([
      ['incoming/orders/../../registry/', /source\.prefix: may not contain a "\.\." segment/],
      ['incoming\\orders/', /source\.prefix: may not contain a backslash/],
      ['/incoming/orders/', /source\.prefix: may not be absolute/],
      ['incoming/./orders/', /source\.prefix: "incoming\/\.\/orders\/" has a "\." segment/],
    ])('refuses the spec when the prefix is %s', (prefix, message) => {
      // Act
      const load = () => specFrom(SMALL_SPEC_YAML.replace('format: csv', `format: csv\n  prefix: ${JSON.stringify(prefix)}`));

      // Assess
      expect(load).toThrow(PipelineSpecError);
      expect(load).toThrow(message);
    });
  });

  describe('FolderObjectStore', () => {
    it('refuses a bucket that climbs out of the lake root when a path is built from it', async () => {
      // Prepare
      const store = new FolderObjectStore(await mkdtemp(path.join(tmpdir(), 'sluice-keys-')));

      // Act
      const escape = () => store.pathOf({ bucket: '..', key: 'x' });

      // Assess
      expect(escape).toThrow('Bucket ".." escapes the lake root');
      expect(() => store.pathOf({ bucket: 'lake', key: '../../x' })).toThrow('Object key "../../x" escapes bucket "lake"');
    });

    it('deletes a key prefix with the temporary files a killed writer left beside it when asked to', async () => {
      // Prepare
      const root = await mkdtemp(path.join(tmpdir(), 'sluice-keys-'));
      const store = new FolderObjectStore(root);
      const dir = path.join(root, 'lake', 'raw', 'p', 'run');
      await mkdir(dir, { recursive: true });
      await Promise.all(['a.csv', 'a.csv.999999999.ab12.tmp', 'b.csv'].map((f) => writeFile(path.join(dir, f), 'x')));

      // Act
      await store.deletePrefix('lake', 'raw/p/run/a.csv');

      // Assess
      expect(await readdir(dir)).toEqual(['b.csv']);
    });

    it('removes a temporary file whose writer is gone and keeps a live one when it lists a prefix', async () => {
      // Prepare
      const root = await mkdtemp(path.join(tmpdir(), 'sluice-keys-'));
      const store = new FolderObjectStore(root);
      const dir = path.join(root, 'lake', 'curated', 'p');
      await mkdir(dir, { recursive: true });
      const live = `x.parquet.${process.pid}.ab12.tmp`;
      await Promise.all(['x.parquet', 'y.parquet.999999999.cd34.tmp', live].map((f) => writeFile(path.join(dir, f), 'x')));

      // Act
      const listed = await store.list('lake', 'curated/p/');

      // Assess
      expect(listed.map((o) => o.key)).toEqual(['curated/p/x.parquet']);
      expect((await readdir(dir)).sort()).toEqual([live, 'x.parquet'].sort());
    });

    it('renames an object into place when it moves one', async () => {
      // Prepare
      const root = await mkdtemp(path.join(tmpdir(), 'sluice-keys-'));
      const store = new FolderObjectStore(root);
      await store.putText({ bucket: 'lake', key: 'ingest/p/staging/r-h/curated/p/a.parquet' }, 'data');

      // Act
      await store.move({ bucket: 'lake', key: 'ingest/p/staging/r-h/curated/p/a.parquet' }, { bucket: 'lake', key: 'curated/p/a.parquet' });

      // Assess
      expect(await store.getText({ bucket: 'lake', key: 'curated/p/a.parquet' })).toBe('data');
      expect(await store.head({ bucket: 'lake', key: 'ingest/p/staging/r-h/curated/p/a.parquet' })).toBeUndefined();
    });
  });
});
