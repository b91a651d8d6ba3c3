import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { silentLogger } from '../../core/log/logger.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import { folderSpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { quoteLiteral } from '../../core/sql/quote.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';
import { FolderObjectStore } from '../../local/adapters/folder-object-store.js';
import { projectRoot } from '../../local/runtime/project-root.js';

/**
 * One measured side of the ingest bench, run in its own process so its peak RSS is its own. Prints one JSON line:
 * wall time, CPU time, peak RSS and what was written.
 */
async function main(): Promise<void> {
  const [mode, csvPath, workDir, memoryLimit = '1GB', threadArg = '0'] = process.argv.slice(2);
  if ((mode !== 'duckdb' && mode !== 'sluice' && mode !== 'sluice-unprofiled') || !csvPath || !workDir) {
    throw new Error('usage: ingest-child duckdb|sluice|sluice-unprofiled CSV WORKDIR [MEMORY] [THREADS]');
  }
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  // 0: every core this machine has, as a Lambda's DuckDB gets every vCPU of its size.
  const threads = Number(threadArg) > 0 ? Number(threadArg) : availableParallelism();
  const started = process.hrtime.bigint();
  let rows: unknown;
  if (mode === 'duckdb') {
    const db = await openDuckDb({ threads, memoryLimit, tempDirectory: path.join(workDir, 'spill') });
    const out = path.join(workDir, 'out');
    await mkdir(out, { recursive: true });
    const result = await db.rows(`COPY (SELECT * FROM read_csv(${quoteLiteral(csvPath)})) TO ${quoteLiteral(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (contract))`);
    rows = result[0]?.Count;
    db.close();
  } else {
    const lake = path.join(workDir, 'lake');
    const key = 'incoming/churn/bench.csv';
    await mkdir(path.join(lake, 'lake', 'incoming', 'churn'), { recursive: true });
    // A hard link puts the file in the drop zone without copying a gigabyte.
    await import('node:fs/promises').then((fs) => fs.link(csvPath, path.join(lake, 'lake', key)));
    const store = new FolderObjectStore(lake);
    const info = await store.head({ bucket: 'lake', key });
    const result = await validateAndPartition(
      {
        run: { runId: 'bench', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: new Date().toISOString(), plan: { features: false, training: 'none', deploy: false } },
        object: { bucket: 'lake', key, ...(info ? { etag: info.etag, size: info.size, lastModified: info.lastModified } : {}) },
      },
      {
        store,
        specs: mode === 'sluice' ? folderSpecCatalog(path.join(projectRoot(), 'pipelines')) : unprofiled(folderSpecCatalog(path.join(projectRoot(), 'pipelines'))),
        logger: silentLogger,
        workDir: path.join(workDir, 'work'),
        duckdb: { threads, memoryLimit },
      },
    );
    rows = result.rows;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.resourceUsage();
  // CPU seconds of every thread (DuckDB's included): what a Lambda's vCPUs must supply, whatever else shares this host.
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(`${JSON.stringify({ mode, ms, cpuSeconds, threads, memoryLimit, peakRssMb: usage.maxRSS / 1024, rows })}\n`);
}

/** The same specs with the data-quality profile turned off (`quality.profile: false`): the ingest without its profile. */
function unprofiled(specs: SpecCatalog): SpecCatalog {
  const off = (spec: PipelineSpec): PipelineSpec => ({ ...spec, quality: { ...spec.quality, profile: false } });
  return { get: (name) => off(specs.get(name)), all: () => specs.all().map(off) };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
