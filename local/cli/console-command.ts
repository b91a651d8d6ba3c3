import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../runtime/project-root.js';

/** Usage line of `sluice console`, for the command's own errors. */
const CONSOLE_USAGE = 'Usage: sluice console [--lake DIR] [--port N]\n';

/** The console's default port: a fixed one, so a bookmark keeps working; `--port 0` picks a free one. */
export const DEFAULT_CONSOLE_PORT = 8787;

/**
 * `sluice console [--lake DIR] [--port N]`: serves the local console (local/console/console-server.ts) on 127.0.0.1
 * until Ctrl-C or SIGTERM: runs, workflow graphs, quarantine, models and their plots, the endpoint, live while runs
 * progress. Reads the lake, changes nothing in it. Returns the exit code.
 */
export async function consoleCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { lake: { type: 'string' }, port: { type: 'string' } } });
  if (positionals.length > 0) {
    process.stderr.write(`sluice console: unexpected argument "${positionals[0] ?? ''}"\n${CONSOLE_USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? DEFAULT_CONSOLE_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`sluice console: --port must be a port number (0-65535), not "${values.port ?? ''}"\n${CONSOLE_USAGE}`);
    return 2;
  }
  const { checkChartLibrary, startConsole } = await import('../console/console-server.js');
  await checkChartLibrary();
  const lakeRoot = path.resolve(values.lake ?? 'sluice-lake');
  const server = await startConsole({ lakeRoot, port, projectRoot: projectRoot() });
  process.stdout.write(`sluice console: ${server.url}  (lake ${lakeRoot}; Ctrl-C stops)\n`);
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.close();
  process.stdout.write(`sluice console: stopped by ${reason}\n`);
  return 0;
}
