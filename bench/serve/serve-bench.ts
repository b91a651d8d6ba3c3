import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeModelPointer } from '../../local/serving/model-pointer.js';
import { loadServingModel } from '../../local/serving/serving-model.js';
import type { XgboostModel } from '../../local/xgboost/model.js';
import { trainXgboost } from '../../local/xgboost/train.js';
import { mulberry32 } from '../../core/support/mulberry32.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';
import type { PairedResult, SampleSummary } from '../support/paired-runs.js';
import { runAutocannon, startServerChild } from './server-child.js';

/** Options of {@link runServeBench}. */
export interface ServeBenchOptions {
  /** Where the training data, model, pointer and request bodies go. */
  readonly workDir: string;
  /** Feature columns (default 20). */
  readonly features?: number;
  /** Boosting rounds of the model served (default 100, depth 6). */
  readonly rounds?: number;
  /** Seconds of load per endpoint run, after a 1 s warm-up per scenario (default 5). */
  readonly durationSeconds?: number;
  /** Concurrent keep-alive connections of the load generator (default 10, autocannon's default). */
  readonly connections?: number;
  /** Runs per side and scenario, in-process and endpoint alternating (default 3). */
  readonly repeats?: number;
}

/** What one endpoint run measured besides its rows per second. */
export interface EndpointRunDetail {
  readonly requestsPerSecond: number;
  /** autocannon's latency percentiles, in ms (its histogram has 1 ms resolution). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time the server process spent per answered request (its capacity on a core of its own). */
  readonly serverCpuMicrosPerRequest: number;
  /**
   * autocannon's CPU time over the run's wall time, in % of one core (its start-up included): near 100 the load
   * generator, not the server, set the pace.
   */
  readonly loadGeneratorCpuPercent: number;
}

/** One request size: endpoint rows/s (Sluice side) against in-process `predict` rows/s (baseline), paired. */
export interface ServeBenchScenario {
  readonly name: string;
  readonly rowsPerRequest: number;
  /** Higher is better on both sides; `ratioOfMedians` is endpoint / in-process. */
  readonly result: PairedResult<undefined, EndpointRunDetail>;
  /** p99 latency of every endpoint run, ms. */
  readonly p99Ms: SampleSummary;
  /** Server CPU µs per request of every endpoint run. */
  readonly serverCpuMicros: SampleSummary;
  /** autocannon's CPU, % of one core, of every endpoint run. */
  readonly loadGeneratorCpuPercent: SampleSummary;
  readonly failedRequests: number;
}

/** What {@link runServeBench} measured. */
export interface ServeBenchResult {
  readonly features: number;
  readonly rounds: number;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly repeats: number;
  readonly cpus: number;
  /** 1-minute load average before the runs (other work on the machine skews every figure). */
  readonly loadAverage: number;
  readonly scenarios: readonly ServeBenchScenario[];
  /** Single-row: endpoint at least 0.35 of in-process throughput (medians), p99 under 5 ms (median run), no failures. */
  readonly targetMet: boolean;
}

/** The targets for single-row requests at 10 connections. */
const TARGET_RATIO = 0.35;
const TARGET_P99_MS = 5;

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

function printResult(result: ServeBenchResult): void {
  console.log(
    `\nserve bench: binary:logistic, ${result.rounds} trees of depth 6, ${result.features} features; autocannon ` +
      `${result.connections} connections x ${result.durationSeconds} s per endpoint run, server in its own process; baseline: ` +
      `the same model's predict() in this process, one thread, no HTTP; ${result.repeats} runs per side, alternating; ` +
      `${result.cpus} CPUs, load average ${result.loadAverage.toFixed(2)} before. Higher is better.`,
  );
  console.log(formatSummaryHeader());
  for (const scenario of result.scenarios) {
    const { result: paired } = scenario;
    console.log(formatSummaryLine(`${scenario.name}: endpoint rows/s`, paired.sluice, 'rows/s', 0));
    console.log(formatSummaryLine(`${scenario.name}: in-process predict rows/s (baseline)`, paired.baseline, 'rows/s', 0));
    console.log(formatSummaryLine(`${scenario.name}: endpoint p99 latency`, scenario.p99Ms, 'ms', 1));
    console.log(formatSummaryLine(`${scenario.name}: server CPU per request`, scenario.serverCpuMicros, 'µs', 0));
    console.log(formatSummaryLine(`${scenario.name}: load generator CPU (autocannon)`, scenario.loadGeneratorCpuPercent, '%', 0));
    console.log(
      `    ratio of medians (endpoint / in-process) ${paired.ratioOfMedians.toFixed(2)}; server capacity on a free core ` +
        `${fmt(1e6 / Math.max(1, scenario.serverCpuMicros.median))} req/s; failed requests ${scenario.failedRequests}`,
    );
  }
  const single = result.scenarios[0];
  if (single !== undefined) {
    console.log(
      `target: single-row endpoint >= ${TARGET_RATIO} of in-process (median ratio ${single.result.ratioOfMedians.toFixed(2)}), ` +
        `p99 < ${TARGET_P99_MS} ms at ${result.connections} connections (median p99 ${single.p99Ms.median.toFixed(1)} ms): ` +
        `${result.targetMet ? 'met' : 'NOT met'}`,
    );
  }
}

/**
 * Measures the local endpoint under load on this machine against the same model called in-process: for single-row
 * and 1,000-row CSV requests, endpoint runs (autocannon in a child process against the server in another, on
 * 127.0.0.1 only) alternate with in-process `predict` runs (paired-runs.ts), each side summarised by min / median /
 * max, compared by the ratio of medians; p99 latency and the server's CPU per request come from every endpoint run.
 */
export async function runServeBench(options: ServeBenchOptions): Promise<ServeBenchResult> {
  const features = options.features ?? 20;
  const rounds = options.rounds ?? 100;
  const durationSeconds = options.durationSeconds ?? 5;
  const connections = options.connections ?? 10;
  const repeats = options.repeats ?? 3;
  await mkdir(options.workDir, { recursive: true });
  const artifact = await trainModel(options.workDir, features, rounds);

  const pointerFile = path.join(options.workDir, 'endpoint', 'pointer.json');
  await writeModelPointer(pointerFile, { version: 1, modelArtifact: artifact });
  const random = seededRandom(99);
  const bodies = [
    { name: 'single-row', rows: 1 },
    { name: `${fmt(BATCH_ROWS)}-row`, rows: BATCH_ROWS },
  ].map((scenario) => ({ ...scenario, lines: featureLines(scenario.rows, features, random) }));
  const loadAverage = loadavg()[0] ?? 0;
  // The baseline's model: the serving loader (one thread per prediction, as the endpoint's).
  const model = loadServingModel(artifact);
  const server = await startServerChild(pointerFile);
  const scenarios: ServeBenchScenario[] = [];
  try {
    for (const scenario of bodies) {
      const body = `${scenario.lines.join('\n')}\n`;
      const matrix = new Float32Array(scenario.lines.join(',').split(',').map(Number));
      const bodyFile = path.join(options.workDir, `body-${scenario.rows}.csv`);
      await writeFile(bodyFile, body);
      await checkAnswer(server.url, body, scenario.rows);
      await runAutocannon(server.url, bodyFile, { connections, seconds: 1, contentType: 'text/csv' });
      const p99s: number[] = [];
      const cpuPerRequest: number[] = [];
      const loadGeneratorCpu: number[] = [];
      let failedRequests = 0;
      const result = await runPaired<undefined, EndpointRunDetail>({
        repeats,
        baseline: async () => ({ value: rate(model, matrix, scenario.rows, features, Math.min(durationSeconds, 2) * 1000) }),
        sluice: async () => {
          const cpuBefore = await server.cpuMicros();
          const report = await runAutocannon(server.url, bodyFile, { connections, seconds: durationSeconds, contentType: 'text/csv' });
          const serverCpu = (await server.cpuMicros()) - cpuBefore;
          const requestsPerSecond = report['2xx'] / report.duration;
          const detail: EndpointRunDetail = {
            requestsPerSecond,
            latencyMs: { p50: report.latency.p50, p99: report.latency.p99, max: report.latency.max },
            non2xx: report.non2xx,
            errors: report.errors + report.timeouts,
            serverCpuMicrosPerRequest: serverCpu / Math.max(1, report['2xx'] + report.non2xx),
            loadGeneratorCpuPercent: report.loadGeneratorCpuMicros / (report.duration * 1e4),
          };
          p99s.push(detail.latencyMs.p99);
          cpuPerRequest.push(detail.serverCpuMicrosPerRequest);
          loadGeneratorCpu.push(detail.loadGeneratorCpuPercent);
          failedRequests += detail.non2xx + detail.errors;
          return { value: requestsPerSecond * scenario.rows, detail };
        },
        onSample: (side, run, value) => process.stderr.write(`  ${scenario.name}: ${side === 'sluice' ? 'endpoint' : 'in-process'} #${run + 1} ${fmt(value)} rows/s\n`),
      });
      scenarios.push({
        name: scenario.name,
        rowsPerRequest: scenario.rows,
        result,
        p99Ms: summarize(p99s),
        serverCpuMicros: summarize(cpuPerRequest),
        loadGeneratorCpuPercent: summarize(loadGeneratorCpu),
        failedRequests,
      });
    }
  } finally {
    model.free();
    await server.stop();
  }
  const single = scenarios[0];
  const result: ServeBenchResult = {
    features,
    rounds,
    connections,
    durationSeconds,
    repeats,
    cpus: cpus().length,
    loadAverage,
    scenarios,
    targetMet: single !== undefined && single.result.ratioOfMedians >= TARGET_RATIO && single.p99Ms.median < TARGET_P99_MS && single.failedRequests === 0,
  };
  printResult(result);
  return result;
}
