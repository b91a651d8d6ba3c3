import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { writeModelPointer } from '../../local/serving/model-pointer.js';
import { loadServingModel } from '../../local/serving/serving-model.js';
import { loadXgboostModel } from '../../local/xgboost/model.js';
import type { XgboostModel } from '../../local/xgboost/model.js';
import { trainXgboost } from '../../local/xgboost/train.js';
import { RUNNING_FROM_TYPESCRIPT, typescriptRequireHook } from '../../local/xgboost/worker-runtime.js';
import { mulberry32 } from '../../core/support/mulberry32.js';

/** Options of {@link runServeBench}. */
export interface ServeBenchOptions {
  /** Where the training data, model, pointer and request bodies go. */
  readonly workDir: string;
  /** Feature columns (default 20). */
  readonly features?: number;
  /** Boosting rounds of the model served (default 100, depth 6). */
  readonly rounds?: number;
  /** Seconds of load per scenario, after a 2 s warm-up (default 10). */
  readonly durationSeconds?: number;
  /** Concurrent keep-alive connections of the load generator (default 10, autocannon's default). */
  readonly connections?: number;
}

/** One load run against the endpoint. */
export interface ServeBenchScenario {
  readonly name: string;
  readonly rowsPerRequest: number;
  /** 2xx answers per second over the run. */
  readonly requestsPerSecond: number;
  readonly rowsPerSecond: number;
  /** autocannon's latency percentiles, in ms (its histogram has 1 ms resolution). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** CPU time the server process spent per answered request (its capacity on a core of its own). */
  readonly serverCpuMicrosPerRequest: number;
}

/** Prediction rates of the same model called directly in this process (no HTTP, no CSV). */
export interface InProcessRates {
  /** One-row `predict` calls per second, one thread (what the endpoint does per request). */
  readonly singleRowPerSecond: number;
  /** Rows per second in 1,000-row `predict` calls, one thread. */
  readonly batchRowsPerSecond: number;
  /** The same with `loadXgboostModel` (every OpenMP thread), for comparison. */
  readonly allThreadsSingleRowPerSecond: number;
  readonly allThreadsBatchRowsPerSecond: number;
}

/** What {@link runServeBench} measured. */
export interface ServeBenchResult {
  readonly features: number;
  readonly rounds: number;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly cpus: number;
  /** 1-minute load average before the runs (other work on the machine skews every figure). */
  readonly loadAverage: number;
  readonly scenarios: readonly ServeBenchScenario[];
  readonly inProcess: InProcessRates;
  /** Endpoint rows/s over in-process rows/s (one thread) for the same request size. */
  readonly ratio: { readonly singleRow: number; readonly batch: number };
  /** At least 5,000 single-row requests/s with p99 under 10 ms. */
  readonly targetMet: boolean;
}

const BATCH_ROWS = 1000;

const seededRandom = mulberry32;

function featureLines(rows: number, features: number, random: () => number): string[] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: features }, () => (random() * 4 - 2).toFixed(5)).join(','),
  );
}

async function trainModel(workDir: string, features: number, rounds: number): Promise<string> {
  const random = seededRandom(42);
  const lines = featureLines(20_000, features, random).map((line) => {
    const x = line.split(',').map(Number);
    const signal = (x[0] ?? 0) * (x[1] ?? 0) - Math.abs(x[2] ?? 0) + 0.5 * (x[3] ?? 0) + (random() - 0.5);
    return `${signal > 0 ? 1 : 0},${line}`;
  });
  const trainFile = path.join(workDir, 'train.csv');
  await writeFile(trainFile, `${lines.join('\n')}\n`);
  const result = await trainXgboost({
    trainFiles: [trainFile],
    validationFiles: [],
    hyperparameters: { num_round: String(rounds), objective: 'binary:logistic', max_depth: '6', eta: '0.1' },
    outputDir: path.join(workDir, 'model'),
  });
  return result.modelArtifact;
}

/** Calls `predict` for about `ms` milliseconds; returns rows per second. */
function rate(model: XgboostModel, rows: Float32Array, nRows: number, nCols: number, ms: number): number {
  for (let i = 0; i < 50; i++) model.predict(rows, nRows, nCols);
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 20; i++) model.predict(rows, nRows, nCols);
    calls += 20;
    elapsed = performance.now() - started;
  }
  return (calls * nRows) / (elapsed / 1000);
}

function measureInProcess(artifact: string, features: number): InProcessRates {
  const random = seededRandom(7);
  const one = new Float32Array(features).map(() => random() * 4 - 2);
  const batch = new Float32Array(BATCH_ROWS * features).map(() => random() * 4 - 2);
  const single = loadServingModel(artifact);
  const all = loadXgboostModel(artifact);
  try {
    return {
      singleRowPerSecond: rate(single, one, 1, features, 1500),
      batchRowsPerSecond: rate(single, batch, BATCH_ROWS, features, 1500),
      allThreadsSingleRowPerSecond: rate(all, one, 1, features, 1000),
      allThreadsBatchRowsPerSecond: rate(all, batch, BATCH_ROWS, features, 1000),
    };
  } finally {
    single.free();
    all.free();
  }
}

interface ServerChild {
  readonly url: string;
  /** The server process's CPU time so far, in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

async function startServerChild(pointerFile: string): Promise<ServerChild> {
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (process_.exitCode !== null) {
          resolve();
          return;
        }
        const kill = setTimeout(() => process_.kill('SIGKILL'), 10_000);
        process_.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        process_.kill('SIGTERM');
      }),
  };
}

/** The fields of autocannon's `--json` report that the bench reads. */
interface AutocannonReport {
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
}

function runAutocannon(url: string, bodyFile: string, connections: number, seconds: number): Promise<AutocannonReport> {
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
    'Content-Type=text/csv',
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

async function checkAnswer(url: string, body: string, rows: number): Promise<void> {
  const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body });
  const text = await response.text();
  const lines = text.trimEnd().split('\n');
  if (response.status !== 200 || lines.length !== rows || !lines.every((line) => Number.isFinite(Number(line)))) {
    throw new Error(`the endpoint answered ${response.status} with ${lines.length} lines for ${rows} rows`);
  }
}

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(result: ServeBenchResult): void {
  const rows = [
    ['scenario', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'avg ms', 'max ms', 'non-2xx', 'errors', 'server CPU µs/req'],
    ...result.scenarios.map((s) => [
      s.name,
      fmt(s.requestsPerSecond),
      fmt(s.rowsPerSecond),
      fmt(s.latencyMs.p50, 1),
      fmt(s.latencyMs.p99, 1),
      fmt(s.latencyMs.average, 2),
      fmt(s.latencyMs.max, 1),
      String(s.non2xx),
      String(s.errors + s.timeouts),
      fmt(s.serverCpuMicrosPerRequest),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  console.log(
    `\nserve bench: binary:logistic, ${result.rounds} trees of depth 6, ${result.features} features; ` +
      `autocannon ${result.connections} connections x ${result.durationSeconds} s per scenario; ` +
      `server in its own process; ${result.cpus} CPUs, load average ${result.loadAverage.toFixed(2)} before`,
  );
  for (const row of rows) {
    console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '));
  }
  const p = result.inProcess;
  console.log(
    `in-process predict (no HTTP), 1 thread: ${fmt(p.singleRowPerSecond)} single-row calls/s, ` +
      `${fmt(p.batchRowsPerSecond)} rows/s in ${BATCH_ROWS}-row calls`,
  );
  console.log(
    `in-process predict, all OpenMP threads (loadXgboostModel): ${fmt(p.allThreadsSingleRowPerSecond)} single-row calls/s, ` +
      `${fmt(p.allThreadsBatchRowsPerSecond)} rows/s in ${BATCH_ROWS}-row calls`,
  );
  console.log(
    `endpoint / in-process (1 thread): single-row ${result.ratio.singleRow.toFixed(2)}, ` +
      `${BATCH_ROWS}-row ${result.ratio.batch.toFixed(2)}`,
  );
  console.log(
    `server CPU per request -> capacity of one free core: ${result.scenarios
      .map((s) => `${s.name} ${fmt(1e6 / Math.max(1, s.serverCpuMicrosPerRequest))} req/s`)
      .join(', ')}`,
  );
  console.log(`target >= 5,000 single-row req/s with p99 < 10 ms: ${result.targetMet ? 'met' : 'NOT met'}`);
}

/**
 * Measures the local endpoint under load on this machine: requests per second and latency percentiles for
 * single-row and 1,000-row CSV requests (autocannon in a child process against the server in another, on
 * 127.0.0.1 only), beside the in-process prediction rate of the same model. Prints a table; bounded in time
 * (about 30 s of load plus training).
 */
export async function runServeBench(options: ServeBenchOptions): Promise<ServeBenchResult> {
  const features = options.features ?? 20;
  const rounds = options.rounds ?? 100;
  const durationSeconds = options.durationSeconds ?? 10;
  const connections = options.connections ?? 10;
  await mkdir(options.workDir, { recursive: true });
  const artifact = await trainModel(options.workDir, features, rounds);
  const inProcess = measureInProcess(artifact, features);

  const pointerFile = path.join(options.workDir, 'endpoint', 'pointer.json');
  await writeModelPointer(pointerFile, { version: 1, modelArtifact: artifact });
  const random = seededRandom(99);
  const bodies = [
    { name: 'single-row', rows: 1 },
    { name: `${fmt(BATCH_ROWS)}-row`, rows: BATCH_ROWS },
  ].map((scenario) => ({ ...scenario, body: `${featureLines(scenario.rows, features, random).join('\n')}\n` }));
  const loadAverage = loadavg()[0] ?? 0;
  const server = await startServerChild(pointerFile);
  const scenarios: ServeBenchScenario[] = [];
  try {
    for (const scenario of bodies) {
      const bodyFile = path.join(options.workDir, `body-${scenario.rows}.csv`);
      await writeFile(bodyFile, scenario.body);
      await checkAnswer(server.url, scenario.body, scenario.rows);
      await runAutocannon(server.url, bodyFile, connections, 2);
      const cpuBefore = await server.cpuMicros();
      const report = await runAutocannon(server.url, bodyFile, connections, durationSeconds);
      const serverCpu = (await server.cpuMicros()) - cpuBefore;
      const requestsPerSecond = report['2xx'] / report.duration;
      scenarios.push({
        name: scenario.name,
        rowsPerRequest: scenario.rows,
        requestsPerSecond,
        rowsPerSecond: requestsPerSecond * scenario.rows,
        latencyMs: {
          p50: report.latency.p50,
          p99: report.latency.p99,
          average: report.latency.average,
          max: report.latency.max,
        },
        non2xx: report.non2xx,
        errors: report.errors,
        timeouts: report.timeouts,
        serverCpuMicrosPerRequest: serverCpu / Math.max(1, report['2xx'] + report.non2xx),
      });
    }
  } finally {
    await server.stop();
  }
  const single = scenarios[0];
  const batch = scenarios[1];
  const result: ServeBenchResult = {
    features,
    rounds,
    connections,
    durationSeconds,
    cpus: cpus().length,
    loadAverage,
    scenarios,
    inProcess,
    ratio: {
      singleRow: (single?.rowsPerSecond ?? 0) / inProcess.singleRowPerSecond,
      batch: (batch?.rowsPerSecond ?? 0) / inProcess.batchRowsPerSecond,
    },
    targetMet:
      single !== undefined &&
      single.requestsPerSecond >= 5000 &&
      single.latencyMs.p99 < 10 &&
      single.non2xx === 0 &&
      single.errors === 0,
  };
  printTable(result);
  return result;
}
