import { describeCaughtError } from '../../core/run/workflow-state.js';

/** One state of a run as the progress display and the summary show it. */
export interface StepRecord {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  durationMs: number;
  error?: { name: string; message: string };
  retries: number;
}

interface EngineEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/**
 * Follows the engine's event log: turns StateEntered / StateExited / StateFailed events into one record per state
 * (per Map item), and remembers which state failed first.
 *
 * The engine reports every failed attempt with StateFailed, then StateRetried when a Retry takes it, StateCaught when
 * a Catch does, or nothing more when the failure ends the execution: a failed state's record stays open until one of
 * those says how it ended.
 */
export class StepTracker {
  private readonly records: StepRecord[] = [];
  private readonly open = new Map<string, { record: StepRecord; started: number }>();
  private firstFailed: { state: string; record: StepRecord } | undefined;
  private executionFailure: { name: string; message: string } | undefined;

  public constructor(private readonly onStep?: (step: StepRecord) => void) {}

  /** Feeds one engine event. */
  public record(raw: unknown): void {
    const event = raw as EngineEvent;
    if (event.type === 'ExecutionFailed') {
      this.executionFailure = errorOf(event.Error ?? 'Error', event.Cause);
      return;
    }
    if (!event.state) return;
    const name = event.index === undefined ? event.state.name : `${event.state.name}[${event.index}]`;
    if (event.state.type === 'Choice' || event.state.type === 'Succeed' || event.state.type === 'Fail' || event.state.type === 'Pass') return;
    if (event.type === 'StateEntered') {
      const record: StepRecord = { name, status: 'RUNNING', durationMs: 0, retries: 0 };
      this.open.set(name, { record, started: event.timestamp });
      this.records.push(record);
      this.onStep?.(record);
      return;
    }
    const entry = this.open.get(name);
    if (!entry) return;
    const { record } = entry;
    if (event.type === 'StateRetried') {
      // The attempt that failed is not where the run went wrong if a retry gets past it.
      record.retries += 1;
      record.status = 'RUNNING';
      delete record.error;
      if (this.firstFailed?.record === record) this.firstFailed = undefined;
      return;
    }
    record.durationMs = event.timestamp - entry.started;
    if (event.type === 'StateFailed') {
      record.status = 'FAILED';
      if (event.Error) record.error = errorOf(event.Error, event.Cause);
      // A Map fails after the item state that failed inside it: the first failure seen is where the run went wrong.
      this.firstFailed ??= { state: event.state.name, record };
      this.onStep?.(record);
    }
    if (event.type === 'StateCaught') {
      // Already shown as failed; the Catch only says where the run goes next.
      record.status = 'CAUGHT';
      this.open.delete(name);
    }
    if (event.type === 'StateExited') {
      record.status = 'SUCCEEDED';
      this.open.delete(name);
      this.onStep?.(record);
    }
  }

  /** Every state seen, in the order they started. */
  public steps(): StepRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The first state that failed: where the run went wrong. */
  public failedState(): string | undefined {
    return this.firstFailed?.state;
  }

  /** The error the execution ended with, if it failed. */
  public executionError(): { name: string; message: string } | undefined {
    return this.executionFailure;
  }
}

/**
 * A failure as a person reads it. A step's error carries the Lambda error document as its Cause, as on AWS (the
 * local bindings throw it that way), and the Fail state's Cause is RecordFailure's message: both read through the one
 * parser RecordFailure uses.
 */
function errorOf(name: string, cause: unknown): { name: string; message: string } {
  if (typeof cause === 'string') return describeCaughtError({ Error: name, Cause: cause });
  if (cause instanceof Error) return { name, message: cause.message };
  return { name, message: cause === undefined ? '' : JSON.stringify(cause) };
}
