import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BatchOutcome, DropBatch, DropZoneWatcherEvents } from '../../../local/runtime/drop-zone-watcher.js';
import { DropZoneWatcher } from '../../../local/runtime/drop-zone-watcher.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const orders = specFrom(SMALL_SPEC_YAML);
const OK: BatchOutcome = { runIds: ['r'], status: 'SUCCEEDED', detail: 'ok' };

/** Resolves with the arguments of the next `event` the watcher emits. */
function next<E extends keyof DropZoneWatcherEvents>(watcher: DropZoneWatcher, event: E): Promise<DropZoneWatcherEvents[E]> {
  return new Promise((resolve) => {
    watcher.once(event, ((...args: DropZoneWatcherEvents[E]) => resolve(args)) as never);
  });
}

describe('DropZoneWatcher', () => {
  let lake: string;
  let dropZone: string;
  let watcher: DropZoneWatcher | undefined;

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-watch-'));
    dropZone = path.join(lake, 'lake', ...orders.source.prefix.split('/').filter(Boolean));
    await mkdir(dropZone, { recursive: true });
  });

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await rm(lake, { recursive: true, force: true });
  });

  /** A watcher with short timings over the orders drop zone, running batches with `run`. */
  const watch = (run: (batch: DropBatch) => Promise<BatchOutcome>): DropZoneWatcher => {
    watcher = new DropZoneWatcher({ lakeRoot: lake, specs: [orders], run, pollMs: 10, stableMs: 40, quietMs: 20, maxWaitMs: 60_000 });
    return watcher;
  };

  describe('files already there', () => {
    it('runs them as one batch in key order when the watcher starts', async () => {
      // Prepare
      await Promise.all(['c', 'a', 'b'].map((f) => writeFile(path.join(dropZone, `${f}.csv`), 'id\n1\n')));
      const w = watch(() => Promise.resolve(OK));
      const started = next(w, 'run-started');

      // Act
      w.start();

      // Assess
      const [batch] = await started;
      expect(batch).toEqual({ kind: 'ingest', pipeline: 'orders', keys: ['a', 'b', 'c'].map((f) => `${orders.source.prefix}${f}.csv`) });
    });
  });

  describe('files that complete during a run', () => {
    it('gathers them into the next batch and starts it only after the run ends when a run is in progress', async () => {
      // Prepare
      let release: () => void = () => undefined;
      const batches: DropBatch[] = [];
      const w = watch((batch) => {
        batches.push(batch);
        return batches.length === 1 ? new Promise<BatchOutcome>((resolve) => (release = () => resolve(OK))) : Promise.resolve(OK);
      });
      await writeFile(path.join(dropZone, 'first.csv'), 'id\n1\n');
      const firstStarted = next(w, 'run-started');
      w.start();
      await firstStarted;

      // Act
      const secondReady = next(w, 'ready');
      await writeFile(path.join(dropZone, 'second.csv'), 'id\n2\n');
      await secondReady;
      const stillOne = batches.length;
      const secondStarted = next(w, 'run-started');
      release();
      const [second] = await secondStarted;

      // Assess
      expect(stillOne).toBe(1);
      expect(second.keys).toEqual([`${orders.source.prefix}second.csv`]);
    });
  });

  describe('files no run would take', () => {
    it('says it ignores the file and runs nothing when its type is not the pipeline’s', async () => {
      // Prepare
      const runs: DropBatch[] = [];
      const w = watch((batch) => {
        runs.push(batch);
        return Promise.resolve(OK);
      });
      await writeFile(path.join(dropZone, 'data.parquet'), 'PAR1');
      const ignored = next(w, 'ignored');

      // Act
      w.start();

      // Assess
      const [file] = await ignored;
      expect(file).toEqual({ key: `${orders.source.prefix}data.parquet`, reason: expect.stringMatching(/takes \.csv/) as unknown });
      await w.stop();
      expect(runs).toEqual([]);
    });
  });

  describe('stopping', () => {
    it('resolves only once the run in progress has ended when stopped mid-run', async () => {
      // Prepare
      let release: () => void = () => undefined;
      const w = watch(() => new Promise<BatchOutcome>((resolve) => (release = () => resolve(OK))));
      await writeFile(path.join(dropZone, 'a.csv'), 'id\n1\n');
      const started = next(w, 'run-started');
      w.start();
      await started;
      // The listing that started the run has ended and the next is a timer away: only the run can hold stop() back.
      await next(w, 'listed');

      // Act
      const stopping = w.stop().then(() => 'stopped');
      const early = await Promise.race([stopping, new Promise<string>((resolve) => setImmediate(() => resolve('still waiting')))]);
      release();

      // Assess
      expect(early).toBe('still waiting');
      expect(await stopping).toBe('stopped');
    });
  });
});
