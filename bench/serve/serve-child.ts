import { startEndpointServer } from '../../local/serving/endpoint-server.js';
import type { ModelSource } from '../../local/serving/endpoint-server.js';

/**
 * The server side of the serve bench, in its own Node process so that it does not share an event loop (or a core)
 * with the load generator. Argument: JSON `{ "modelSource": {...}, "port": 0 }`. Prints one JSON line with the URL
 * once listening, and a JSON line with its CPU time so far (`process.cpuUsage()`, µs) on each SIGUSR2, so that the
 * bench can tell the server's cost per request from the load generator's; stops when its stdin closes or on SIGTERM.
 */
async function main(): Promise<void> {
  const { modelSource, port } = JSON.parse(process.argv[2] ?? '{}') as { modelSource: ModelSource; port?: number };
  const server = await startEndpointServer({ host: '127.0.0.1', port: port ?? 0, modelSource });
  process.stdout.write(`${JSON.stringify({ url: server.url, model: server.model })}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
  });
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
