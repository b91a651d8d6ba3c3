import type { ScheduleExpression } from '../../core/schedule/schedule-expression.js';
import { nextFiring, parseScheduleExpression } from '../../core/schedule/schedule-expression.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';

/** The longest single timer: Node fires a longer `setTimeout` at once (2^31-1 ms); a far firing is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a schedule's firing became. */
export type FiringOutcome<R> = { pipeline: string; firedAt: Date; result: R } | { pipeline: string; firedAt: Date; error: unknown };

/** What the local scheduler needs. */
export interface LocalSchedulerOptions<R> {
  /** The pipelines to schedule: those whose spec has an enabled `schedule:` section (the others are ignored). */
  specs: readonly PipelineSpec[];
  /** Starts one scheduled run of a pipeline and resolves when it has finished. */
  run: (spec: PipelineSpec, firedAt: Date) => Promise<R>;
  /** A firing: the run is about to start. */
  onFire?: (pipeline: string, firedAt: Date) => void;
  /** A firing dropped because the pipeline's previous scheduled run had not finished. */
  onBusy?: (pipeline: string, firedAt: Date) => void;
  /** A scheduled run ended (its result, or the error it threw). */
  onFinish?: (outcome: FiringOutcome<R>) => void;
  clock?: () => Date;
  /**
   * How long one minute of a `rate(...)` lasts here (ms; default 60,000). For tests only: the spec loader takes only
   * Scheduler's units (minutes, hours, days), so a test scales the clock of rates instead of writing `rate(1 second)`.
   */
  rateMinuteMs?: number;
}

interface Entry {
  spec: PipelineSpec;
  expression: ScheduleExpression;
  timezone: string;
  next?: Date | undefined;
  timer?: NodeJS.Timeout;
}

/**
 * `sluice schedule`: fires each pipeline's schedule on its own expression and time zone, as EventBridge Scheduler does
 * in the cloud (cron arithmetic by croner, core/schedule/schedule-expression.ts). Runs one at a time: a machine with
 * a few cores trains one model at a time, and runs of one pipeline never overlap (one writer per pipeline). A firing
 * that comes while the pipeline's previous scheduled run is still queued or running is dropped and reported; the
 * next one comes as usual.
 */
export class LocalScheduler<R> {
  private readonly entries: Entry[];
  private readonly clock: () => Date;
  private readonly busy = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  private readonly startedAt: Date;

  public constructor(private readonly options: LocalSchedulerOptions<R>) {
    this.clock = options.clock ?? (() => new Date());
    this.startedAt = this.clock();
    const scale = (options.rateMinuteMs ?? 60_000) / 60_000;
    this.entries = options.specs
      .filter((spec) => spec.schedule?.enabled === true)
      .map((spec) => {
        const schedule = spec.schedule as NonNullable<PipelineSpec['schedule']>;
        const parsed = parseScheduleExpression(schedule.expression);
        const expression = parsed.kind === 'rate' ? { ...parsed, periodMs: Math.max(1, Math.round(parsed.periodMs * scale)) } : parsed;
        return { spec, expression, timezone: schedule.timezone };
      });
  }

  /** The scheduled pipelines and their next firing (after {@link start}). */
  public schedules(): { pipeline: string; expression: string; timezone: string; next: Date | undefined }[] {
    return this.entries.map((e) => ({ pipeline: e.spec.name, expression: e.spec.schedule?.expression ?? '', timezone: e.timezone, next: e.next }));
  }

  /** Arms every schedule. */
  public start(): void {
    this.running = true;
    for (const entry of this.entries) this.arm(entry, this.clock());
  }

  /** Disarms every schedule and waits for the run in progress (if any) to finish. */
  public async stop(): Promise<void> {
    this.running = false;
    for (const entry of this.entries) clearTimeout(entry.timer);
    await this.queue;
  }

  private arm(entry: Entry, after: Date): void {
    if (!this.running) return;
    entry.next = nextFiring(entry.expression, entry.timezone, after, this.startedAt);
    if (entry.next === undefined) return;
    const due = entry.next;
    const wait = Math.min(Math.max(0, due.getTime() - this.clock().getTime()), MAX_TIMER_MS);
    entry.timer = setTimeout(() => {
      // A far firing is reached in steps of the longest timer Node keeps.
      if (this.clock().getTime() < due.getTime()) return this.arm(entry, new Date(due.getTime() - 1));
      this.fire(entry, due);
      this.arm(entry, due);
    }, wait);
  }

  private fire(entry: Entry, firedAt: Date): void {
    const pipeline = entry.spec.name;
    if (this.busy.has(pipeline)) {
      this.options.onBusy?.(pipeline, firedAt);
      return;
    }
    this.busy.add(pipeline);
    this.queue = this.queue.then(async () => {
      this.options.onFire?.(pipeline, firedAt);
      try {
        const result = await this.options.run(entry.spec, firedAt);
        this.options.onFinish?.({ pipeline, firedAt, result });
      } catch (error) {
        this.options.onFinish?.({ pipeline, firedAt, error });
      } finally {
        this.busy.delete(pipeline);
      }
    });
  }
}
