/**
 * `sluice watch`: the lake's drop zones, watched, and every burst of files in one run (docs/operations-coalescing.md).
 *
 * Why stable-size polling rather than chokidar's `awaitWriteFinish`: that option is itself a stat poll of each file
 * until its size holds for a threshold, on top of an fs.watch tree; the watcher needs a full listing anyway (the files
 * present at start, folders created under a drop zone later) and a run deletes the files it archived, so one periodic
 * listing of the drop zones does all of it, on any file system (network mounts and containers included, where inotify
 * events go missing), and lets the watcher say what it sees (`pending`), which is how a test writes a file slowly
 * without sleeping.
 *
 * A file is ready once its size and modification time have held for `stableMs` over successive polls: a writer that
 * pauses longer than that mid-file is indistinguishable from a finished one, so writers that pause should write
 * under another name (a dot file, which is skipped) and rename.
 *
 * Coalescing, per pipeline and kind (ingest, scoring): a batch starts `quietMs` after its last ready file, or
 * `maxWaitMs` after its first, whichever is sooner; the cloud waits the same maximum (core/trigger/coalescing.ts). The
 * batches of one pipeline run one after another; files that become ready during a run form the next batch.
 */
import { EventEmitter } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../../core/errors.js';
import { matchPipeline } from '../../core/pipelines/spec-catalog.js';
import { lakeLayout } from '../../core/run/lake-layout.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { COALESCING_QUIET_SECONDS, COALESCING_MAX_WAIT_SECONDS } from '../../core/trigger/coalescing.js';
import { LOCAL_LAKE_BUCKET } from './local-names.js';

/** What a batch is for: a training run from `incoming/`, or batch scoring from `score/`. */
export type DropKind = 'ingest' | 'score';

/** The files of one pipeline that one run (or scoring job) takes. */
export interface DropBatch {
  kind: DropKind;
  pipeline: string;
  /** Keys of the lake bucket, in key order. */
  keys: string[];
}

/** What running a batch came to, as the runner reports it. */
export interface BatchOutcome {
  /** The run ids (a batch above one input's limit runs as several). */
  runIds: string[];
  status: 'SUCCEEDED' | 'FAILED';
  /** One line a person reads: rows, model decision, or the error. */
  detail: string;
}

/** Runs one batch; resolves when its runs have ended. */
export type BatchRunner = (batch: DropBatch) => Promise<BatchOutcome>;

/** The events a watcher emits, with their payloads. */
export interface DropZoneWatcherEvents {
  /** A file seen for the first time, or seen to have changed: not taken until it holds still. */
  pending: [{ kind: DropKind; pipeline: string; key: string; size: number }];
  /** A file that held still for `stableMs`: it joins its pipeline's next batch. */
  ready: [{ kind: DropKind; pipeline: string; key: string; size: number }];
  /** A file under a drop zone that no run would take (another type, a folder marker): said once. */
  ignored: [{ key: string; reason: string }];
  'run-started': [DropBatch];
  'run-finished': [DropBatch, BatchOutcome];
  /** One listing of the drop zones ended (and the batches it made due have started). */
  listed: [];
  /** The watcher could not list a drop zone, or a runner threw: it keeps watching. */
  error: [Error];
}

/** How a watcher watches. */
export interface DropZoneWatcherOptions {
  lakeRoot: string;
  /** The pipelines whose drop zones are watched (each one's `source.prefix`, and its scoring drop zone with a scorer). */
  specs: readonly PipelineSpec[];
  /** Runs a training batch. */
  run: BatchRunner;
  /** Runs a scoring batch; without it the scoring drop zones are not watched. */
  score?: BatchRunner;
  /** Milliseconds between listings (default 500). */
  pollMs?: number;
  /** How long a file's size and mtime must hold before it is taken (default 2,000 ms). */
  stableMs?: number;
  /** A batch starts this long after its last file (default COALESCING_QUIET_SECONDS). */
  quietMs?: number;
  /** ... or this long after its first, whichever is sooner (default COALESCING_MAX_WAIT_SECONDS, as in the cloud). */
  maxWaitMs?: number;
}

interface Seen {
  kind: DropKind;
  pipeline: string;
  size: number;
  mtimeMs: number;
  /** When the file was first seen with this size and mtime. */
  since: number;
  state: 'pending' | 'ready' | 'taken';
}

interface Gathering {
  keys: Set<string>;
  firstAt: number;
  lastAt: number;
}

/**
 * Watches the drop zones of a lake and runs each burst of files as one batch. `start()` begins polling (the files
 * already there are the first burst); `stop()` stops taking files and resolves when the batch in progress has ended.
 */
export class DropZoneWatcher extends EventEmitter<DropZoneWatcherEvents> {
  private readonly bucketDir: string;
  private readonly pollMs: number;
  private readonly stableMs: number;
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly seen = new Map<string, Seen>();
  private readonly ignoredKeys = new Set<string>();
  private readonly gathering = new Map<string, Gathering>();
  /** The run in progress of each pipeline (its batches run one after another). */
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  public constructor(private readonly options: DropZoneWatcherOptions) {
    super();
    this.bucketDir = path.join(options.lakeRoot, LOCAL_LAKE_BUCKET);
    this.pollMs = options.pollMs ?? 500;
    this.stableMs = options.stableMs ?? 2_000;
    this.quietMs = options.quietMs ?? COALESCING_QUIET_SECONDS * 1_000;
    this.maxWaitMs = options.maxWaitMs ?? COALESCING_MAX_WAIT_SECONDS * 1_000;
  }

  /** The drop zones watched: `[kind, pipeline, prefix]`. */
  public zones(): [DropKind, string, string][] {
    const zones: [DropKind, string, string][] = this.options.specs.map((s) => ['ingest', s.name, s.source.prefix]);
    if (this.options.score) zones.push(...this.options.specs.map((s): [DropKind, string, string] => ['score', s.name, lakeLayout.scoringDropPrefix(s.name)]));
    return zones;
  }

  /** Starts polling; the first listing happens at once. */
  public start(): void {
    if (this.timer || this.stopped) return;
    const tick = (): void => {
      this.polling = this.poll()
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops taking files; resolves when the listing and every batch in progress have ended. Files not yet run stay put. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.all([...this.running.values()]);
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const present = new Set<string>();
    for (const [kind, pipeline, prefix] of this.zones()) {
      for (const file of await listFiles(path.join(this.bucketDir, ...prefix.split('/').filter(Boolean)))) {
        const key = path.relative(this.bucketDir, file.path).split(path.sep).join('/');
        present.add(key);
        this.observe(kind, pipeline, key, file.size, file.mtimeMs, now);
      }
    }
    // A run archives the files it ingested (they leave the drop zone); a file dropped again under that name is new.
    for (const key of [...this.seen.keys()]) if (!present.has(key)) this.seen.delete(key);
    if (!this.stopped) this.dispatchDue(now);
    this.emit('listed');
  }

  private observe(kind: DropKind, pipeline: string, key: string, size: number, mtimeMs: number, now: number): void {
    const name = key.split('/').pop() ?? key;
    // Dot files are what writers that rename into place write first (and editors' and rsync's temporaries).
    if (name.startsWith('.')) return;
    if (kind === 'ingest') {
      const match = matchPipeline(this.options.specs, key);
      if (!match.spec) {
        if (!this.ignoredKeys.has(key)) this.emit('ignored', { key, reason: match.reason });
        this.ignoredKeys.add(key);
        return;
      }
    }
    const known = this.seen.get(key);
    if (!known || known.size !== size || known.mtimeMs !== mtimeMs) {
      // New, or written to since: a taken file that changes is a new upload of that key, and waits to hold still again.
      this.seen.set(key, { kind, pipeline, size, mtimeMs, since: now, state: 'pending' });
      // A file being written is activity of the burst: the quiet period counts from it too.
      this.gather(kind, pipeline, now);
      this.emit('pending', { kind, pipeline, key, size });
      return;
    }
    if (known.state !== 'pending' || now - known.since < this.stableMs) return;
    known.state = 'ready';
    this.gather(kind, pipeline, now).keys.add(key);
    this.emit('ready', { kind, pipeline, key, size });
  }

  /** The batch a pipeline is gathering, its last activity now. */
  private gather(kind: DropKind, pipeline: string, now: number): Gathering {
    const id = `${kind}\n${pipeline}`;
    const batch = this.gathering.get(id) ?? { keys: new Set<string>(), firstAt: now, lastAt: now };
    batch.lastAt = now;
    this.gathering.set(id, batch);
    return batch;
  }

  /** Whether a file of the pipeline's drop zone of this kind is still being written. */
  private writing(kind: DropKind, pipeline: string): boolean {
    for (const seen of this.seen.values()) if (seen.kind === kind && seen.pipeline === pipeline && seen.state === 'pending') return true;
    return false;
  }

  /** Starts every gathered batch whose quiet period or maximum wait has passed, unless its pipeline is running one. */
  private dispatchDue(now: number): void {
    for (const [id, batch] of this.gathering) {
      const [kind, pipeline] = id.split('\n') as [DropKind, string];
      // Quiet: no file came or grew for quietMs and none is still being written. The maximum wait ends it regardless
      // (a writer that stalls mid-file does not hold the others back; its file joins a later batch).
      const quiet = now - batch.lastAt >= this.quietMs && !this.writing(kind, pipeline);
      const due = quiet || now - batch.firstAt >= this.maxWaitMs;
      if (!due || this.running.has(pipeline)) continue;
      this.gathering.delete(id);
      const keys = [...batch.keys].filter((key) => this.seen.get(key)?.state === 'ready').sort();
      // Only files still being written at the maximum wait: the burst goes on, gathered afresh from its next activity.
      if (keys.length === 0) continue;
      for (const key of keys) {
        const seen = this.seen.get(key);
        if (seen) seen.state = 'taken';
      }
      const drop: DropBatch = { kind, pipeline, keys };
      const runner = kind === 'score' ? this.options.score : this.options.run;
      if (!runner) continue;
      this.emit('run-started', drop);
      const running = runner(drop)
        .then(
          (outcome) => this.emit('run-finished', drop, outcome),
          (error: unknown) => {
            this.fail(error);
            this.emit('run-finished', drop, { runIds: [], status: 'FAILED', detail: describeError(error).message });
          },
        )
        .then(() => {
          this.running.delete(pipeline);
        });
      this.running.set(pipeline, running);
    }
  }

  private fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    // An EventEmitter throws an 'error' nobody listens to: the watcher keeps going, so only say it when heard.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** Every file under a folder, recursively, with its size and mtime; a missing folder has none. */
async function listFiles(dir: string): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const files: { path: string; size: number; mtimeMs: number }[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    // A file can go between the listing and the stat (a run archived it): it is simply not there.
    const info = await stat(file).catch(() => undefined);
    if (info) files.push({ path: file, size: info.size, mtimeMs: info.mtimeMs });
  }
  return files;
}
