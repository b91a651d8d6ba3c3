import { describeError } from '../../core/errors.js';
import type { LambdaErrorCause } from '../../core/run/workflow-state.js';
import type { ValidateAndPartitionDeps } from '../../core/steps/validate-and-partition.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';

/**
 * How a task outside Lambda answers the state that started it. On AWS the callback pattern
 * (`arn:aws:states:::ecs:runTask.waitForTaskToken`): SendTaskSuccess with the output, SendTaskFailure with the error's
 * name and cause, SendTaskHeartbeat while it works; locally the child process's messages to the runtime.
 */
export interface TaskCallback {
  success(output: string): Promise<void>;
  /** `error` is the ASL error code (what Retry matches); `cause` the Lambda error document as JSON, as Lambda gives it. */
  failure(error: string, cause: string): Promise<void>;
  heartbeat(): Promise<void>;
}

/** What one ingest task is asked to do: the ValidateAndPartition state input, passed as two JSON strings. */
export interface IngestTaskArgs {
  run: string;
  object: string;
}

/**
 * The heartbeat period: a fifth of the state's `HeartbeatSeconds` (600 s in state-machines/sluice.asl.json), so a few
 * lost beats never fail a working task, and a dead one is noticed within ten minutes.
 */
export const HEARTBEAT_MS = 120_000;

/**
 * Step Functions caps SendTaskFailure's `error` at 256 characters and `cause` at 32,768 (Step Functions API reference,
 * "SendTaskFailure"); the trace is trimmed first so the message survives.
 */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/**
 * Runs ValidateAndPartition, the very step the Lambda function runs, for one large file, and answers through
 * `callback`: its result as the state's output, or its error as Lambda would have reported it (`Error` the error's
 * name, `Cause` `{"errorType", "errorMessage", "trace"}`), so Retry, the run's failure record and the map's results
 * read one format whichever route a file took. Resolves once the answer is sent; never rejects for a step error.
 */
export async function runIngestTask(args: IngestTaskArgs, deps: ValidateAndPartitionDeps, callback: TaskCallback, heartbeatMs = HEARTBEAT_MS): Promise<void> {
  const beat = setInterval(() => {
    callback.heartbeat().catch((error: unknown) => deps.logger.warn('heartbeat not delivered', { error: describeError(error).message }));
  }, heartbeatMs);
  try {
    let output: string;
    try {
      const input: unknown = { run: JSON.parse(args.run) as unknown, object: JSON.parse(args.object) as unknown };
      output = JSON.stringify(await validateAndPartition(input, deps));
    } catch (error) {
      const { name, message } = describeError(error);
      const document: LambdaErrorCause = { errorType: name, errorMessage: message, trace: [] };
      const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
      const withTrace = JSON.stringify({ ...document, trace: stack });
      await callback.failure(name.slice(0, MAX_ERROR), withTrace.length <= MAX_CAUSE ? withTrace : JSON.stringify(document).slice(0, MAX_CAUSE));
      return;
    }
    await callback.success(output);
  } finally {
    clearInterval(beat);
  }
}

/** Reads `--run <json> --object <json>` (and `--task-token <token>` on AWS) from a container command line. */
export function parseTaskArgs(argv: readonly string[]): IngestTaskArgs & { taskToken?: string } {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const run = value('--run');
  const object = value('--object');
  const taskToken = value('--task-token');
  if (run === undefined || object === undefined) throw new Error('usage: container --task-token <token> --run <run context JSON> --object <run object JSON>');
  return { run, object, ...(taskToken !== undefined ? { taskToken } : {}) };
}
