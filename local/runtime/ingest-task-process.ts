import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { fixedSpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { TaskCallback } from '../../functions/validate-and-partition/ingest-task.js';
import { runIngestTask } from '../../functions/validate-and-partition/ingest-task.js';
import { localDeps } from './local-deps.js';

/** What the runtime sends the local ingest task process: the lake, the run's specs and the state input. */
export interface IngestTaskRequest {
  lakeRoot: string;
  runId: string;
  memoryLimit?: string;
  specs: PipelineSpec[];
  run: string;
  object: string;
}

/** What the process answers: SendTaskSuccess's and SendTaskFailure's fields, or a heartbeat. */
export type IngestTaskMessage = { type: 'success'; output: string } | { type: 'failure'; error: string; cause: string } | { type: 'heartbeat' };

/**
 * The local stand-in for the Fargate task of the large-file route: a child process of the runtime that runs the
 * container's driver (functions/validate-and-partition/ingest-task.ts), and so the same step, with the local adapters,
 * answering over the IPC channel instead of with SendTaskSuccess / SendTaskFailure. A separate process, as the
 * container is: its memory and DuckDB are its own, and a crash ends it without taking the run with it.
 */
export async function serveIngestTask(request: IngestTaskRequest, send: (message: IngestTaskMessage) => Promise<void>): Promise<void> {
  const deps = localDeps({
    lakeRoot: request.lakeRoot,
    specs: fixedSpecCatalog(request.specs),
    runId: request.runId,
    ...(request.memoryLimit ? { memoryLimit: request.memoryLimit } : {}),
  });
  const callback: TaskCallback = {
    success: (output) => send({ type: 'success', output }),
    failure: (error, cause) => send({ type: 'failure', error, cause }),
    heartbeat: () => send({ type: 'heartbeat' }),
  };
  // Its log lines name the state, as a Lambda function's do: the run's log shows which route each file took.
  const step = 'ValidateAndPartitionOnFargate';
  const logger = {
    debug: (message: string, fields?: Record<string, unknown>) => deps.logger.debug(message, { step, ...fields }),
    info: (message: string, fields?: Record<string, unknown>) => deps.logger.info(message, { step, ...fields }),
    warn: (message: string, fields?: Record<string, unknown>) => deps.logger.warn(message, { step, ...fields }),
    error: (message: string, fields?: Record<string, unknown>) => deps.logger.error(message, { step, ...fields }),
  };
  await runIngestTask({ run: request.run, object: request.object }, { ...deps, logger }, callback);
}

/**
 * The child process's main: waits for the one request, serves it, and ends. Called by the code the runtime starts
 * the process with (see `localIngestTask` in distributed-map.ts).
 */
export function startIngestTaskChild(): void {
  process.once('message', (request: IngestTaskRequest) => {
    const send = (message: IngestTaskMessage): Promise<void> =>
      new Promise((resolve, reject) => {
        if (!process.send) return reject(new Error('the ingest task process has no IPC channel'));
        process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
      });
    serveIngestTask(request, send)
      .catch((error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 1;
      })
      .finally(() => process.disconnect());
  });
}
