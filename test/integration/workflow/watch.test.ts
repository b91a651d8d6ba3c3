import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunManifest } from '../../../core/manifest/run-manifest.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { BatchOutcome, DropBatch } from '../../../local/runtime/drop-zone-watcher.js';
import { DropZoneWatcher } from '../../../local/runtime/drop-zone-watcher.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { localIngestRunner } from '../../../local/runtime/watch-runs.js';
import { freshLake, lakeFiles, lakePath } from '../../support/local-run.js';
import { REPO_ROOT, SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

/** The orders contract: ingest only (no features, no training), so the test is about the watcher and the ingest. */
const orders = specFrom(SMALL_SPEC_YAML);

const FILES = 50;
const SLOW_FILES = 5;
const ROWS_PER_FILE = 20;

/** A CSV of the orders contract whose rows are unique to the file (a source is its content: no two files alike). */
function ordersCsv(file: number): string {
  const rows = Array.from({ length: ROWS_PER_FILE }, (_, r) => `${file * 1_000 + r + 1},${r % 2 ? 'open' : 'closed'},${file}.${r},ABC`);
  return `id,status,amount,code\n${rows.join('\n')}\n`;
}

/** Resolves when the watcher reports the file at `key` pending with `size` bytes: it has seen that much of it. */
function seenAt(watcher: DropZoneWatcher, key: string, size: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (file: { key: string; size: number }): void => {
      if (file.key !== key || file.size !== size) return;
      watcher.off('pending', listener);
      resolve();
    };
    watcher.on('pending', listener);
  });
}

/** Resolves with the first batch the watcher finishes running. */
function firstFinish(watcher: DropZoneWatcher): Promise<[DropBatch, BatchOutcome]> {
  return new Promise((resolve) => watcher.once('run-finished', (batch, outcome) => resolve([batch, outcome])));
}

describe('sluice watch', () => {
  // Whatever a test ends in, its watcher stops (waiting for its run) and its lake goes.
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  describe('50 files dropped together', () => {
    it('starts exactly one run that ingests all 50 when some are still being written in chunks', async () => {
      // Prepare
      const lake = await freshLake();
      cleanups.push(() => rm(lake, { recursive: true, force: true }));
      const dropZone = lakePath(lake, orders.source.prefix);
      await mkdir(dropZone, { recursive: true });
      const summaries: RunSummary[] = [];
      const started: DropBatch[] = [];
      const watcher = new DropZoneWatcher({
        lakeRoot: lake,
        specs: [orders],
        run: localIngestRunner({ projectRoot: REPO_ROOT, specs: fixedSpecCatalog([orders]), lakeRoot: lake, onSummary: (s) => summaries.push(s) }),
        // Short, so the test does not idle; a slow writer continues right after the watcher saw its last chunk, well
        // inside stableMs, however busy the machine.
        pollMs: 50,
        stableMs: 2_000,
        quietMs: 300,
        maxWaitMs: 600_000,
      });
      cleanups.push(() => watcher.stop());
      watcher.on('run-started', (batch) => started.push(batch));
      const finished = firstFinish(watcher);
      watcher.start();

      // Act: 45 files written at once, 5 written a chunk at a time, each chunk once the watcher has seen the one before
      // (cut mid-row: a half-written file taken early would hold a broken row)
      const fast = Array.from({ length: FILES - SLOW_FILES }, (_, i) => writeFile(path.join(dropZone, `part-${String(i).padStart(2, '0')}.csv`), ordersCsv(i)));
      const slow = Array.from({ length: SLOW_FILES }, async (_, s) => {
        const file = FILES - SLOW_FILES + s;
        const name = `slow-${s}.csv`;
        const key = `${orders.source.prefix}${name}`;
        const bytes = Buffer.from(ordersCsv(file));
        const handle = await open(path.join(dropZone, name), 'w');
        try {
          for (let offset = 0; offset < bytes.length; offset += 97) {
            const chunk = bytes.subarray(offset, offset + 97);
            const seen = seenAt(watcher, key, offset + chunk.length);
            await handle.write(chunk);
            await seen;
          }
        } finally {
          await handle.close();
        }
      });
      await Promise.all([...fast, ...slow]);
      const [, outcome] = await finished;
      await watcher.stop();

      // Assess
      expect(started).toHaveLength(1);
      expect(started[0]?.keys).toHaveLength(FILES);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(summaries).toHaveLength(1);
      const summary = summaries[0];
      expect(summary?.status).toBe('SUCCEEDED');
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/orders/${summary?.runId ?? ''}.json`), 'utf8')) as RunManifest;
      expect(manifest.trigger).toBe('upload');
      expect(manifest.objects).toHaveLength(FILES);
      expect(manifest.ingest).toHaveLength(FILES);
      expect(manifest.rows).toEqual({ input: FILES * ROWS_PER_FILE, valid: FILES * ROWS_PER_FILE, quarantined: 0 });
      expect(manifest.ingest.every((f) => f.rows.input === ROWS_PER_FILE && f.rows.valid === ROWS_PER_FILE)).toBe(true);
      expect(await lakeFiles(lake, 'incoming')).toEqual([]);
      expect((await readdir(lakePath(lake, 'runs/orders'))).filter((f) => f.endsWith('.json'))).toEqual([`${summary?.runId ?? ''}.json`]);
    });
  });
});
