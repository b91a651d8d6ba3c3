/** Four `sluice run` at once on one lake: one writer at a time where it matters, nothing lost, one endpoint. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import type { ServerLauncher } from '../../../local/adapters/local-hosting.js';
import { pointerFile } from '../../../local/adapters/local-hosting.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { runLocal } from '../../../local/runtime/run-local.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import type { EndpointServer } from '../../../local/serving/index.js';
import { startEndpointServer } from '../../../local/serving/index.js';
import { freshLake } from '../../support/local-run.js';
import { signalCsv, signalPipeline } from '../../support/signal-pipeline.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/** Every server the runs started, by endpoint folder, and how many times one was started. */
const servers = new Map<string, EndpointServer>();
let starts = 0;

/** Starts an in-process server for an endpoint folder unless one runs; counts the starts. */
const countingLauncher: ServerLauncher = async (dir) => {
  let server = servers.get(dir);
  if (!server) {
    starts += 1;
    server = await startEndpointServer({ host: '127.0.0.1', port: 0, modelSource: { pointerFile: pointerFile(dir) }, pollIntervalMs: 50 });
    servers.set(dir, server);
  }
  server.refresh();
  return server.url;
};

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

async function run(spec: PipelineSpec, lake: string, fileName: string, content: string): Promise<RunSummary> {
  const key = `${spec.source.prefix}${fileName}`;
  const file = path.join(lake, LOCAL_LAKE_BUCKET, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return runLocal({ projectRoot: REPO_ROOT, spec, specs: fixedSpecCatalog([spec]), lakeRoot: lake, input: { pipeline: spec.name, key }, launcher: countingLauncher });
}

describe('local workflow: concurrent runs', () => {
  describe('four runs of one pipeline started at once on one lake', () => {
    it('registers four distinct versions, starts one endpoint and keeps every row when the runs overlap', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = await signalPipeline({
        training: '{ hyperparameters: { objective: "binary:logistic", eval_metric: auc, num_round: 20, max_depth: 3, eta: 0.3 } }',
        gate: '{ metric: "validation:auc", direction: Maximize, minimum: 0.6, minImprovement: 0 }',
        deployment: '{ mode: realtime }',
      });
      const files = [1, 2, 3, 4].map((seed) => ({ name: `part-${seed}.csv`, content: signalCsv(300, seed) }));

      // Act
      const summaries = await Promise.all(files.map((f) => run(spec, lake, f.name, f.content)));

      // Assess: every run succeeded, each with its own version.
      expect(summaries.map((s) => [s.status, s.error])).toEqual(summaries.map(() => ['SUCCEEDED', undefined]));
      const versions = summaries.map((s) => s.model?.version).sort();
      expect(versions).toEqual([1, 2, 3, 4]);
      const registryDir = path.join(lake, LOCAL_LAKE_BUCKET, 'registry', 'signal');
      const records = await Promise.all((await readdir(registryDir)).filter((n) => n.endsWith('.json')).sort().map(async (n) => JSON.parse(await readFile(path.join(registryDir, n), 'utf8')) as { version: number; runId: string }));
      expect(records.map((r) => r.version)).toEqual([1, 2, 3, 4]);
      expect(new Set(records.map((r) => r.runId))).toEqual(new Set(summaries.map((s) => s.runId)));

      // Assess: one endpoint server, serving the newest promoted version.
      expect(starts).toBe(1);
      const promoted = summaries.filter((s) => s.model?.promoted === true).map((s) => s.model?.version ?? 0);
      const approved = records.filter((r) => (r as unknown as { status: string }).status === 'Approved').map((r) => r.version);
      expect(approved.sort()).toEqual(promoted.sort());
      const [server] = [...servers.values()];
      expect(server?.refresh()?.version).toBe(Math.max(...approved));

      // Assess: the rows reconcile: every valid row of every run is curated once, and the catalog lists every partition.
      expect(summaries.map((s) => s.rows.valid)).toEqual([300, 300, 300, 300]);
      const curatedDir = path.join(lake, LOCAL_LAKE_BUCKET, 'curated', 'signal');
      const curated = (await readdir(curatedDir, { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => path.join(curatedDir, f));
      const db = await openDuckDb({ threads: 1, memoryLimit: '512MB', tempDirectory: path.join(lake, '.spill') });
      let counted: Record<string, unknown>[];
      try {
        counted = await db.rows(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM read_parquet([${curated.map((f) => `'${f}'`).join(', ')}])`);
      } finally {
        db.close();
      }
      expect(counted.map((r) => [Number(r.n), Number(r.ids)])).toEqual([[1200, 1200]]);
      const catalog = JSON.parse(await readFile(path.join(lake, 'catalog', 'sluice_local', 'signal.json'), 'utf8')) as { Partitions: { StorageDescriptor: { Location: string } }[] };
      const partitionDirs = new Set(curated.map((f) => path.relative(curatedDir, path.dirname(f))));
      expect(catalog.Partitions).toHaveLength(partitionDirs.size);
      const leftovers = (await readdir(lake, { recursive: true })).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'));
      expect(leftovers).toEqual([]);
    });
  });
});
