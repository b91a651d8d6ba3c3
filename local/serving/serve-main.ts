/**
 * The lean entry of a background endpoint server: `node dist/local/serving/serve-main.js --endpoint-dir DIR
 * [--port N]`, or `--await-endpoint` to load first and be told the folder later (see awaitEndpoint). A run's Deploy starts it (local/runtime/endpoint-launcher.ts) instead of a second full `sluice` CLI, so
 * it loads the serving code only (HTTP, the pointer, XGBoost through koffi) and none of the CLI's: no DuckDB, no
 * workflow engine, no pipeline spec loader.
 *
 * With an IPC channel (the launcher's), it reports once, as a message: `{type: 'listening', url}` when it serves with
 * the model loaded, `{type: 'running', url}` when another live server already serves the endpoint (it then exits),
 * `{type: 'failed', message}` when it cannot start. The launcher waits for that event rather than polling.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../../core/errors.js';
import { ServeRefusedError } from './errors.js';
import { serveEndpoint, stopOnSignals } from './serve-endpoint.js';

/** What the server tells its launcher, once. */
export type ServeReport = { type: 'listening'; url: string } | { type: 'running'; url: string } | { type: 'failed'; message: string };

/** Sends the report; resolves once it is written, so a process about to exit does not drop it. */
function report(message: ServeReport): Promise<void> {
  return new Promise((resolve) => {
    // The launcher may be gone already (the run ended): an answer nobody reads is not an error.
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** What a warm server (`--await-endpoint`) waits for on its IPC channel: the endpoint to serve. */
export interface ServeRequest {
  readonly type: 'serve';
  readonly endpointDir: string;
}

/**
 * With `--await-endpoint`, the process starts before the endpoint exists (a run starts it while it trains, so this
 * module loading overlaps the training: local/runtime/endpoint-launcher.ts) and waits for a {@link ServeRequest}.
 * Resolves with the endpoint folder, or undefined when the launcher lets go of the channel first (its run deployed
 * nothing): the process then ends.
 */
function awaitEndpoint(): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve(undefined);
      return;
    }
    const onMessage = (message: unknown): void => {
      const request = message as Partial<ServeRequest> | null;
      if (request?.type !== 'serve' || typeof request.endpointDir !== 'string') return;
      process.off('disconnect', onDisconnect);
      process.off('message', onMessage);
      resolve(request.endpointDir);
    };
    const onDisconnect = (): void => {
      process.off('message', onMessage);
      resolve(undefined);
    };
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'endpoint-dir': { type: 'string' }, port: { type: 'string' }, 'await-endpoint': { type: 'boolean' } },
  });
  if (values['await-endpoint'] === true && values['endpoint-dir'] === undefined) {
    const awaited = await awaitEndpoint();
    if (awaited === undefined) return 0;
    values['endpoint-dir'] = awaited;
  }
  const endpointDir = values['endpoint-dir'];
  if (endpointDir === undefined) {
    process.stderr.write('serve-main: give --endpoint-dir DIR\n');
    await report({ type: 'failed', message: 'serve-main was started without --endpoint-dir' });
    return 2;
  }
  const stopSignal = stopOnSignals();
  try {
    await serveEndpoint({
      endpointDir,
      port: Number(values.port ?? 0),
      output: { info: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`) },
      onListening: (url) => void report({ type: 'listening', url }),
      stopSignal,
    });
    return 0;
  } catch (error) {
    if (error instanceof ServeRefusedError && error.runningUrl !== undefined) {
      await report({ type: 'running', url: error.runningUrl });
      return 0;
    }
    const { name, message } = describeError(error);
    process.stderr.write(`sluice serve: ${name}: ${message}\n`);
    await report({ type: 'failed', message: `${name}: ${message}` });
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sluice serve: ${String(error)}\n`);
    process.exit(1);
  },
);
