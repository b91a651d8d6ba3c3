/**
 * The lean entry of a background endpoint server: `node dist/local/serving/serve-main.js --endpoint-dir DIR
 * [--port N]`. A run's Deploy starts it (local/runtime/endpoint-launcher.ts) instead of a second full `sluice` CLI, so
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

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { 'endpoint-dir': { type: 'string' }, port: { type: 'string' } } });
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
