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
 */
export class StepTracker {
  private readonly records: StepRecord[] = [];
  private readonly open = new Map<string, { record: StepRecord; started: number }>();
  private firstFailed: string | undefined;
  private executionFailure: { name: string; message: string } | undefined;

  public constructor(private readonly onStep?: (step: StepRecord) => void) {}

  /** Feeds one engine event. */
  public record(raw: unknown): void {
    const event = raw as EngineEvent;
    if (event.type === 'ExecutionFailed') {
      this.executionFailure = { name: event.Error ?? 'Error', message: causeText(event.Cause) };
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
    if (event.type === 'StateRetried') {
      entry.record.retries += 1;
      return;
    }
    entry.record.durationMs = event.timestamp - entry.started;
    if (event.type === 'StateExited') entry.record.status = 'SUCCEEDED';
    if (event.type === 'StateFailed' || event.type === 'StateCaught') {
      entry.record.status = event.type === 'StateCaught' ? 'CAUGHT' : 'FAILED';
      if (event.Error) entry.record.error = { name: event.Error, message: causeText(event.Cause) };
      // A Map fails after the item state that failed inside it: the first failure seen is where the run went wrong.
      this.firstFailed ??= event.state.name;
    }
    if (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught') {
      this.open.delete(name);
      this.onStep?.(entry.record);
    }
  }

  /** Every state seen, in the order they started. */
  public steps(): StepRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The first state that failed: where the run went wrong. */
  public failedState(): string | undefined {
    return this.firstFailed;
  }

  /** The error the execution ended with, if it failed. */
  public executionError(): { name: string; message: string } | undefined {
    return this.executionFailure;
  }
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : JSON.stringify(cause);
}
