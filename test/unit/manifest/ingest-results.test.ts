import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readIngestResults } from '../../../core/manifest/ingest-results.js';
import type { IngestResult } from '../../../core/run/workflow-state.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';

const BUCKET = 'lake';

function result(key: string, input: number): IngestResult {
  return {
    source: { bucket: BUCKET, key },
    sourceHash: 'abcd',
    ingestDate: '2026-11-29',
    rawKey: `raw/orders/${key}`,
    curatedPrefix: 'curated/orders/',
    curatedFiles: 1,
    partitions: 1,
    listingKey: `ingest/_runs/orders/r/${key}.json`,
    rows: { input, valid: input, quarantined: 0 },
    durationMs: 5,
  };
}

describe('readIngestResults', () => {
  describe('a map run written by ResultWriter', () => {
    it('returns every succeeded file in object-list order and each failed file with its error when the results span files', async () => {
      // Prepare
      const store = new FolderObjectStore(await mkdtemp(path.join(tmpdir(), 'sluice-ir-')));
      const child = (index: number, key: string, output?: IngestResult) => ({
        Name: `c${index}`,
        Status: output ? 'SUCCEEDED' : 'FAILED',
        Input: JSON.stringify({ index, object: { bucket: BUCKET, key } }),
        ...(output ? { Output: JSON.stringify(output) } : { Error: 'UnreadableFileError', Cause: '{"errorType":"UnreadableFileError","errorMessage":"bad"}' }),
      });
      await store.putText({ bucket: BUCKET, key: 'ingest/_map-runs/m/SUCCEEDED_0.json' }, JSON.stringify([child(2, 'c.csv', result('c.csv', 3)), child(0, 'a.csv', result('a.csv', 1))]));
      await store.putText({ bucket: BUCKET, key: 'ingest/_map-runs/m/SUCCEEDED_1.json' }, JSON.stringify([child(1, 'b.csv', result('b.csv', 2))]));
      await store.putText({ bucket: BUCKET, key: 'ingest/_map-runs/m/FAILED_0.json' }, JSON.stringify([child(3, 'd.csv')]));
      const manifest = {
        DestinationBucket: BUCKET,
        MapRunArn: 'arn:aws:states:us-east-1:1:mapRun:sluice/IngestFiles:m',
        ResultFiles: { SUCCEEDED: [{ Key: 'ingest/_map-runs/m/SUCCEEDED_0.json', Size: 1 }, { Key: 'ingest/_map-runs/m/SUCCEEDED_1.json', Size: 1 }], FAILED: [{ Key: 'ingest/_map-runs/m/FAILED_0.json', Size: 1 }], PENDING: [] },
      };
      await store.putText({ bucket: BUCKET, key: 'ingest/_map-runs/m/manifest.json' }, JSON.stringify(manifest));

      // Act
      const read = await readIngestResults(store, { mapRunArn: manifest.MapRunArn, results: { bucket: BUCKET, key: 'ingest/_map-runs/m/manifest.json' } });

      // Assess
      expect(read.files.map((f) => [f.source.key, f.rows.input])).toEqual([
        ['a.csv', 1],
        ['b.csv', 2],
        ['c.csv', 3],
      ]);
      expect(read.failed).toEqual([{ object: 's3://lake/d.csv', error: 'UnreadableFileError', cause: '{"errorType":"UnreadableFileError","errorMessage":"bad"}' }]);
    });

    it('fails naming the field when a succeeded child output is not an ingest result', async () => {
      // Prepare
      const store = new FolderObjectStore(await mkdtemp(path.join(tmpdir(), 'sluice-ir-')));
      await store.putText({ bucket: BUCKET, key: 'r/SUCCEEDED_0.json' }, JSON.stringify([{ Status: 'SUCCEEDED', Output: '{"rows":1}' }]));
      await store.putText({ bucket: BUCKET, key: 'r/manifest.json' }, JSON.stringify({ ResultFiles: { SUCCEEDED: [{ Key: 'r/SUCCEEDED_0.json' }] } }));

      // Act
      const read = readIngestResults(store, { mapRunArn: 'm', results: { bucket: BUCKET, key: 'r/manifest.json' } });

      // Assess
      await expect(read).rejects.toThrow(/sourceHash/);
    });
  });
});
