import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RUNNING_FROM_TYPESCRIPT, typescriptRequireHook } from '../../local/xgboost/worker-runtime.js';
import { stopChild } from '../support/stop-child.js';

/** The serve bench's server child (bench/serve/serve-child.ts) in its own process. */
export interface ServerChild {
  readonly url: string;
  /** The server process's CPU time so far, in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the serve bench's server child on the model pointer: the endpoint in its own process, as `sluice serve` runs
 * it, answering its URL on stdout and its CPU time on SIGUSR2.
 */
export async function startServerChild(pointerFile: string): Promise<ServerChild> {
  const child = path.join(__dirname, RUNNING_FROM_TYPESCRIPT ? 'serve-child.ts' : 'serve-child.js');
  const argument = JSON.stringify({ modelSource: { pointerFile }, port: 0 });
  const args = RUNNING_FROM_TYPESCRIPT
    ? ['-e', `${typescriptRequireHook()}\nprocess.argv.splice(1, 0, ${JSON.stringify(child)});\nrequire(${JSON.stringify(child)});`, argument]
    : [child, argument];
  const process_: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const stdout = process_.stdout;
  if (stdout === null) throw new Error('server child has no stdout');
  const lines = createInterface({ input: stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (text) => waiting.shift()?.(text));
  const nextLine = (what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server child did not answer (${what}) within 60 s`)), 60_000);
      waiting.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  const exited = new Promise<never>((_, reject) => {
    process_.once('exit', (code) => reject(new Error(`the server child exited (code ${code})`)));
  });
  exited.catch(() => undefined);
  const { url } = JSON.parse(await Promise.race([nextLine('listening'), exited])) as { url: string };
  return {
    url,
    cpuMicros: async () => {
      const answer = nextLine('cpu usage');
      process_.kill('SIGUSR2');
      return (JSON.parse(await Promise.race([answer, exited])) as { cpuMicros: number }).cpuMicros;
    },
    stop: () => stopChild(process_),
  };
}

/** The fields of autocannon's `--json` report that the benches read, and the CPU time autocannon itself used. */
export interface AutocannonReport {
  /** Seconds the load ran. */
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
  /**
   * CPU time (user + system, µs) of the autocannon process over its whole run, warm-up and start included: not a field
   * of autocannon's report, but its `process.cpuUsage()` at exit. Near `duration` seconds means the load generator, not
   * the server, set the pace (both share this machine's cores).
   */
  readonly loadGeneratorCpuMicros: number;
  /**
   * The median and 99th percentile of the 2xx responses' times in µs, from each response's own time (autocannon's
   * `response` event): autocannon's `latency` histogram counts whole milliseconds, too coarse for a p99 near 1 ms.
   */
  readonly latencyMicros: { readonly p50: number; readonly p99: number };
}

/** Marks the line autocannon's process writes its CPU time on (stderr, at exit). */
const CPU_LINE = 'sluice-load-generator-cpu ';

/** Marks the line autocannon's process writes its responses' p50 and p99 in µs on (stderr, at exit). */
const LATENCY_LINE = 'sluice-load-generator-latency ';

/** Runs autocannon in a child process: POSTs `bodyFile` to `<url>/invocations` as `contentType` for `seconds`. */
export function runAutocannon(url: string, bodyFile: string, options: { connections: number; seconds: number; contentType: string }): Promise<AutocannonReport> {
  const { connections, seconds, contentType } = options;
  // autocannon's CLI entry, run by `node -e` so that the process can report its own CPU time when it exits.
  const cli = require.resolve('autocannon');
  // autocannon(opts) is what its CLI runs (it prints the --json report itself); its tracker's `response` events carry
  // each response's time in ms as a float.
  const script =
    `const times = [];\n` +
    `process.once('exit', () => { const { user, system } = process.cpuUsage(); process.stderr.write('\\n${CPU_LINE}' + (user + system) + '\\n');\n` +
    `  times.sort((a, b) => a - b); const at = (q) => Math.round((times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? NaN) * 1000);\n` +
    `  process.stderr.write('${LATENCY_LINE}' + at(0.5) + ' ' + at(0.99) + '\\n'); });\n` +
    `const autocannon = require(${JSON.stringify(cli)});\n` +
    `const tracker = autocannon(autocannon.parseArguments(process.argv.slice(1)));\n` +
    `tracker.on('response', (client, statusCode, bytes, responseTime) => { if (statusCode >= 200 && statusCode < 300) times.push(responseTime); });\n` +
    `tracker.catch((error) => { console.error(error.message); process.exitCode = 1; });`;
  const args = [
    '-e',
    script,
    // What follows is autocannon's, not node's: `process.argv.slice(1)` in the script.
    '--',
    '--json',
    '--connections',
    String(connections),
    '--duration',
    String(seconds),
    '--method',
    'POST',
    '--headers',
    `Content-Type=${contentType}`,
    '--input',
    bodyFile,
    `${url}/invocations`,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: (seconds + 60) * 1000 }, (error, stdout, stderr) => {
      if (error) {
        reject(error);
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '{}';
      const report = JSON.parse(last) as Partial<AutocannonReport>;
      const cpuLine = stderr.split('\n').find((line) => line.startsWith(CPU_LINE));
      const loadGeneratorCpuMicros = Number(cpuLine?.slice(CPU_LINE.length));
      const [p50 = Number.NaN, p99 = Number.NaN] = (stderr.split('\n').find((line) => line.startsWith(LATENCY_LINE))?.slice(LATENCY_LINE.length) ?? '').split(' ').map(Number);
      if (typeof report.duration !== 'number' || report.latency === undefined || !Number.isFinite(loadGeneratorCpuMicros)) {
        reject(new Error(`unexpected autocannon output: ${last.slice(0, 200)}`));
        return;
      }
      resolve({ ...(report as Omit<AutocannonReport, 'loadGeneratorCpuMicros' | 'latencyMicros'>), loadGeneratorCpuMicros, latencyMicros: { p50, p99 } });
    });
  });
}
