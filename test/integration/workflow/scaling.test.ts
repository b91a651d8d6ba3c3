/** Ingest past one Lambda (issue 10): the Distributed Map over many files, and the large-file route. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { freshLake, lakeFiles, lakePath, runOnContent, runWithInput, testServers } from '../../support/local-run.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const ORDERS_CSV = 'id,status,amount,code\n1,open,2.5,ABC\n2,closed,1,XYZ\n3,open,-4,ABC\n4,closed,7.25,QRS\n';

/** The curated rows of a lake, in a stable order, with the partition column read from the folders. */
async function curatedRows(lake: string): Promise<unknown[]> {
  const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, '.spill') });
  try {
    const glob = lakePath(lake, 'curated/orders/**/*.parquet');
    return await db.rows(`SELECT id::INTEGER AS id, status, amount, code FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY id`);
  } finally {
    db.close();
  }
}

/** The JSON lines of a run's log. */
async function logLines(logFile: string): Promise<{ msg?: string; message?: string; step?: string }[]> {
  const text = await readFile(logFile, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { msg?: string; message?: string; step?: string });
}

describe('local workflow: scaling ingest', () => {
  afterAll(() => testServers.closeAll());

  describe('the large-file route', () => {
    it('ingests the file in the ingest task process and lands the same rows as the Lambda route when the file is over the spec threshold', async () => {
      // Prepare
      const small = specFrom(SMALL_SPEC_YAML);
      const large = specFrom(SMALL_SPEC_YAML.replace('  format: csv', '  format: csv\n  largeFileBytes: 16'));
      const lambdaLake = await freshLake();
      const fargateLake = await freshLake();

      // Act
      const viaLambda = await runOnContent(small, lambdaLake, 'orders.csv', ORDERS_CSV);
      const viaFargate = await runOnContent(large, fargateLake, 'orders.csv', ORDERS_CSV);

      // Assess
      expect([viaLambda.status, viaFargate.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(viaFargate.rows).toEqual({ input: 4, valid: 3, quarantined: 1 });
      expect(viaFargate.rows).toEqual(viaLambda.rows);
      expect(await curatedRows(fargateLake)).toEqual(await curatedRows(lambdaLake));
      const fargateIngests = (await logLines(viaFargate.outputs.log)).filter((l) => (l.msg ?? l.message) === 'file ingested').map((l) => l.step);
      const lambdaIngests = (await logLines(viaLambda.outputs.log)).filter((l) => (l.msg ?? l.message) === 'file ingested').map((l) => l.step);
      expect(fargateIngests).toEqual(['ValidateAndPartitionOnFargate']);
      expect(lambdaIngests).toEqual(['ValidateAndPartition']);
    });

    it('fails the map with the file named and its error kept when the ingest task refuses the file', async () => {
      // Prepare
      const large = specFrom(SMALL_SPEC_YAML.replace('  format: csv', '  format: csv\n  largeFileBytes: 16'));
      const lake = await freshLake();

      // Act
      const summary = await runOnContent(large, lake, 'broken.csv', 'id;status;amount;code\n1;open;2.5;ABC\n');

      // Assess
      expect(summary.status).toBe('FAILED');
      expect(summary.error).toMatchObject({ name: 'States.ExceedToleratedFailureThreshold', state: 'ValidateAndPartitionOnFargate' });
      expect(summary.error?.message).toMatch(/^s3:\/\/lake\/incoming\/orders\/broken\.csv/);
      expect(summary.error?.message).toContain('(UnreadableFileError; 1 of 1 files failed');
      expect(await lakeFiles(lake, 'curated')).toEqual([]);
      // The failed run's manifest names the file and the task's own error (SendTaskFailure's), not only the map's.
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/orders/${summary.runId}.json`), 'utf8')) as { failedFiles?: { object?: string; error: string }[] };
      expect(manifest.failedFiles).toMatchObject([{ object: 's3://lake/incoming/orders/broken.csv', error: 'UnreadableFileError' }]);
    });
  });

  describe('a folder of many files', () => {
    it('ingests every file through the distributed map and reconciles the counts when the run names a folder of 50 files', async () => {
      // Prepare
      const spec = specFrom(SMALL_SPEC_YAML);
      const lake = await freshLake();
      const folder = 'incoming/orders/export-2026-11/';
      await mkdir(lakePath(lake, folder), { recursive: true });
      for (let i = 0; i < 50; i++) {
        // Two good rows and one bad per file, every id distinct.
        const rows = [`${3 * i + 1},open,1.5,ABC`, `${3 * i + 2},closed,2,XYZ`, `${3 * i + 3},open,-1,ABC`];
        await writeFile(lakePath(lake, `${folder}part-${String(i).padStart(2, '0')}.csv`), `id,status,amount,code\n${rows.join('\n')}\n`);
      }

      // Act
      const summary = await runWithInput(spec, lake, { pipeline: 'orders', prefix: folder });

      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.rows).toEqual({ input: 150, valid: 100, quarantined: 50 });
      expect(await curatedRows(lake)).toHaveLength(100);
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/orders/${summary.runId}.json`), 'utf8')) as {
        objects: { key: string }[];
        ingest: { source: { key: string }; rows: { input: number } }[];
      };
      expect(manifest.objects).toHaveLength(50);
      expect(manifest.ingest.map((f) => f.source.key)).toEqual(manifest.objects.map((o) => o.key));
      expect(manifest.ingest.every((f) => f.rows.input === 3)).toBe(true);
      const results = await lakeFiles(lake, 'ingest/_map-runs');
      expect(results.filter((key) => key.endsWith('/manifest.json'))).toHaveLength(1);
      expect(results.filter((key) => key.endsWith('/SUCCEEDED_0.json'))).toHaveLength(1);
      expect(await lakeFiles(lake, folder)).toEqual([]);
    });
  });
});
