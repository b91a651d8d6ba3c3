import path from 'node:path';
import { claimEndpoint, liveServer, releaseEndpoint } from '../runtime/endpoint-launcher.js';
import { RequestCounter } from '../console/request-counter.js';
import { startEndpointServer } from './endpoint-server.js';
import { ServeRefusedError } from './errors.js';
import { enforceProduction, superviseEndpoint } from './production-guard.js';

/** Where `serveEndpoint` reports what it does (the CLI's stdout and stderr, or nothing in the background). */
export interface ServeOutput {
  info(line: string): void;
  warn(line: string): void;
}

/** How {@link serveEndpoint} serves an endpoint folder. */
export interface ServeEndpointOptions {
  /** The endpoint folder (`<lake>/endpoints/<endpoint>`), with its `pointer.json`. */
  readonly endpointDir: string;
  /** Port on 127.0.0.1 (0 picks a free one). */
  readonly port: number;
  readonly output: ServeOutput;
  /** Called once the server listens with the model loaded and has claimed the endpoint: it is ready. */
  readonly onListening?: (url: string) => void;
  /** Resolves when the server should stop (a signal), with the reason; the supervisor may stop it first. */
  readonly stopSignal: Promise<string>;
}

/**
 * Serves an endpoint folder until stopped: what `sluice serve` does in the foreground and the lean background server
 * (serve-main.ts) does for a run's deployment.
 *
 * 1. Checks that the pointer names the production model or a live run's candidate (`enforceProduction`), or refuses.
 * 2. Refuses when a live server already serves the folder.
 * 3. Starts the HTTP server (the pointer's model is loaded before it listens) and claims the endpoint: of two servers
 *    started at once, one wins.
 * 4. Serves, following the pointer, until `stopSignal` resolves or the supervisor finds nothing left to serve.
 * 5. Closes the server (requests in flight finish) and releases its records.
 *
 * @throws ServeRefusedError when there is nothing to serve or another server serves the endpoint
 */
export async function serveEndpoint(options: ServeEndpointOptions): Promise<void> {
  const dir = options.endpointDir;
  const pointer = path.join(dir, 'pointer.json');
  const verdict = await enforceProduction(pointer);
  if (verdict.action === 'cleared') throw new ServeRefusedError(`nothing to serve in ${dir}: ${verdict.reason}`);
  if (verdict.action === 'restored') options.output.warn(`sluice: ${verdict.reason}`);
  const running = await liveServer(dir);
  if (running) throw new ServeRefusedError(`already serving at ${running.url} (process ${running.pid}); stop it with \`sluice stop --pipeline …\``, running.url);
  const counter = new RequestCounter(dir);
  const server = await startEndpointServer({
    host: '127.0.0.1',
    port: options.port,
    modelSource: { pointerFile: pointer },
    onEvent: (event) => {
      if (event.type === 'model-loaded') options.output.info(`serving model version ${event.model.version ?? '?'} (loaded in ${Math.round(event.loadMs)} ms)`);
      if (event.type === 'model-load-failed') options.output.warn(`could not load ${event.source}: ${event.error.message}`);
      if (event.type === 'request-answered') counter.answer();
      if (event.type === 'features-opened') options.output.info(`raw records of ${event.pipeline}: features ${event.engine === 'compiled' ? 'by the compiled query, audited by DuckDB' : `by DuckDB (${event.reason ?? 'as asked'})`}`);
      if (event.type === 'features-audit-failed') options.output.warn(`sluice: ${event.message}`);
      if (event.type === 'features-audited') {
        options.output.info(`raw records of ${event.pipeline}: ${event.audited} compiled answers audited by DuckDB${event.different ? ' until one differed' : ', all the same'}, ${event.unaudited} not audited (more came than the audit takes)`);
      }
    },
  });
  const claim = await claimEndpoint(dir, server.url);
  if ('running' in claim) {
    // Another server claimed this endpoint while this one started: one endpoint, one server.
    await server.close();
    throw new ServeRefusedError(`already serving at ${claim.running.url} (process ${claim.running.pid})`, claim.running.url);
  }
  options.output.info(`sluice: endpoint listening on ${server.url}  (GET /ping, POST /invocations)`);
  options.onListening?.(server.url);
  let supervisor: { close(): void } | undefined;
  const reason = await Promise.race([
    new Promise<string>((resolve) => {
      supervisor = superviseEndpoint({ pointerFile: pointer, onStop: resolve, onRestored: (why) => options.output.warn(`sluice: ${why}`) });
    }),
    options.stopSignal,
  ]);
  supervisor?.close();
  options.output.info(`sluice: endpoint ${server.url} stopping: ${reason}`);
  await server.close();
  await counter.flush();
  await releaseEndpoint(claim.claimed);
}

/** A promise of the first of SIGINT and SIGTERM, as `stopped by SIGTERM`. */
export function stopOnSignals(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('stopped by SIGINT'));
    process.once('SIGTERM', () => resolve('stopped by SIGTERM'));
  });
}
