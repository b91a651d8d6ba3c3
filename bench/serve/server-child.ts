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

/** The fields of autocannon's `--json` report that the benches read. */
export interface AutocannonReport {
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
}

/** Runs autocannon in a child process: POSTs `bodyFile` to `<url>/invocations` as `contentType` for `seconds`. */
export function runAutocannon(url: string, bodyFile: string, options: { connections: number; seconds: number; contentType: string }): Promise<AutocannonReport> {
  const { connections, seconds, contentType } = options;
  const args = [
    require.resolve('autocannon'),
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
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: (seconds + 60) * 1000 }, (error, stdout) => {
      if (error) {
        reject(error);
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '{}';
      const report = JSON.parse(last) as Partial<AutocannonReport>;
      if (typeof report.duration !== 'number' || report.latency === undefined) {
        reject(new Error(`unexpected autocannon output: ${last.slice(0, 200)}`));
        return;
      }
      resolve(report as AutocannonReport);
    });
  });
}
