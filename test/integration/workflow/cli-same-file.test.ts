/** `sluice run` of one file twice at once: neither run archives or deletes the file the other is reading. */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { main } from '../../../local/cli/main.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { signalCsv, signalPipeline } from '../../support/signal-pipeline.js';

/** The parts of a run manifest this test reads. */
interface Manifest {
  runId: string;
  ingest: { source: { key: string } }[];
}

async function curatedRows(lake: string): Promise<number> {
  const db = await openDuckDb({ threads: 1, memoryLimit: '512MB', tempDirectory: path.join(lake, '.spill') });
  try {
    const glob = path.join(lake, LOCAL_LAKE_BUCKET, 'curated', 'signal', '**', '*.parquet');
    const reader = await db.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${glob}')`);
    return Number(reader.getRowObjects()[0]?.n);
  } finally {
    db.close();
  }
}

describe('sluice run', () => {
  describe('the same file run twice at once', () => {
    beforeEach(() => {
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    });

    afterEach(() => jest.restoreAllMocks());

    it('succeeds twice, counts the rows once and leaves the drop zone empty when both runs read one file name', async () => {
      // Prepare
      // No gate: models are registered, never deployed, so no endpoint starts.
      const spec = await signalPipeline({ training: '{ hyperparameters: { objective: "binary:logistic", eval_metric: auc, num_round: 5, max_depth: 3 } }' });
      const dir = path.dirname(spec.file);
      const data = path.join(dir, 'signal.csv');
      await writeFile(data, signalCsv(300, 7));
      const lake = path.join(dir, 'lake');
      const args = ['run', data, '--pipeline', dir, '--lake', lake, '--json'];

      // Act
      const codes = await Promise.all([main(args), main(args)]);

      // Assess
      expect(codes).toEqual([0, 0]);
      expect(await curatedRows(lake)).toBe(300);
      expect(await readdir(path.join(lake, LOCAL_LAKE_BUCKET, 'registry', 'signal'))).toHaveLength(2);
      // Each run read its own copy: the object each manifest names lies in that run's own drop folder.
      const runsDir = path.join(lake, LOCAL_LAKE_BUCKET, 'runs', 'signal');
      const manifests = await Promise.all((await readdir(runsDir)).filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(path.join(runsDir, f), 'utf8')) as Manifest));
      expect(manifests.map((m) => m.ingest[0]?.source.key).sort()).toEqual(manifests.map((m) => `incoming/signal/${m.runId}/signal.csv`).sort());
      const dropZone = path.join(lake, LOCAL_LAKE_BUCKET, 'incoming', 'signal');
      expect(existsSync(dropZone) ? await readdir(dropZone) : []).toEqual([]);
    });
  });
});
