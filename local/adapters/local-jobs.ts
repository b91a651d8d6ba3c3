import { EventEmitter } from 'node:events';

/**
 * A job the local runtime runs in the background: its work, started with a signal that stops it. It ends with the
 * job's status; work that still has cleanup to do once its result is known (a training worker to shut down) may hand
 * the status to `settle` first, so a poll sees the job done without waiting for the cleanup.
 */
export type LocalJobWork<S> = (signal: AbortSignal, settle: (status: S) => void) => Promise<S>;

/** How a local job ends when it outlives its limit. */
export interface LocalJobLimit<S> {
  /** The spec's limit, in seconds. */
  seconds: number;
  /** The status the job reports once the limit stopped it. */
  status: () => S;
}

/**
 * The local runtime's jobs in flight, shared by the adapters of one run (trainer, query engine, catalog), so a poll
 * can wait for "any job settled" instead of sleeping a fixed interval: the local Wait loop answers as soon as a job
 * ends, and still takes its poll interval while jobs run.
 */
export class LocalJobBoard {
  private readonly events = new EventEmitter();
  private readonly stops = new Set<AbortController>();
  private readonly working = new Set<Promise<unknown>>();

  /** Jobs started and not yet settled. */
  public get running(): number {
    return this.stops.size;
  }

  /**
   * Runs `work` in the background and returns at once; `onSettled` receives its status when it ends (or when the work
   * hands it over earlier, see {@link LocalJobWork}). A `limit` aborts the work once its seconds have passed and settles
   * the job with the limit's status.
   */
  public launch<S>(work: LocalJobWork<S>, onSettled: (status: S) => void, fail: (error: unknown) => S, limit?: LocalJobLimit<S>): void {
    const controller = new AbortController();
    this.stops.add(controller);
    let settled = false;
    const settle = (status: S): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.stops.delete(controller);
      onSettled(status);
      this.events.emit('settled');
    };
    const timer = limit
      ? setTimeout(() => {
          settle(limit.status());
          controller.abort(new Error(`ran past its limit of ${limit.seconds} s`));
        }, limit.seconds * 1000)
      : undefined;
    // The job must not keep the process alive on its own: the run that started it waits for it explicitly.
    timer?.unref();
    // A microtask later, so the caller's Start step returns before any of the work runs.
    queueMicrotask(() => {
      // A status handed over early settles the job; the work's own end then settles nothing more (settle is once).
      const running = work(controller.signal, settle).then(settle, (error: unknown) => settle(fail(error)));
      // A job can settle (its limit passed) before its work has wound down; idle() waits for the work itself.
      this.working.add(running);
      void running.finally(() => {
        this.working.delete(running);
        if (this.working.size === 0) this.events.emit('idle');
      });
    });
  }

  /**
   * Resolves once the work of every job launched so far has ended, not only settled: a job stopped by its limit
   * settles at once, and its work (a training stopping at its next round boundary) ends a little later.
   */
  public idle(): Promise<void> {
    // Launches start a microtask later: look once they have.
    return new Promise<void>((resolve) => {
      queueMicrotask(() => {
        if (this.working.size === 0) resolve();
        else this.events.once('idle', () => resolve());
      });
    });
  }

  /**
   * Resolves when a job settles, or after `ms`, whichever comes first; at once when no job is running (nothing
   * could change by waiting).
   */
  public settledOrAfter(ms: number): Promise<void> {
    if (this.running === 0 || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off('settled', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.once('settled', done);
    });
  }

  /** Stops every job still running (a run that ended, failed or not, leaves no work behind). */
  public stopAll(reason = 'the run ended'): void {
    for (const controller of [...this.stops]) controller.abort(new Error(reason));
  }
}
