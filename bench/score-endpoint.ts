/**
 * `npm run bench -- score`, endpoint half (issue 12): the local endpoint answering one raw churn record (the contract's
 * columns as JSON, checked, featurized by churn's features.sql in-process, predicted) against the same customer's
 * featurized CSV row, on the same server and model, alternately (paired-runs.ts). Load: autocannon in a child process,
 * 10 keep-alive connections, against the server in another process. Target: raw single-row p99 within 2× the
 * featurized one.
 *
 * Before the load, the featurizer alone in-process: DuckDB open + prepare (what a cold model version pays once), one
 * record through each way of feeding rows (`values` and `appender`, core/serving/raw-featurizer.ts), to keep the
 * faster one as the default, and the CPU time of a one-record query with its rows returned as the query's own columns
 * against one FLOAT list per row (core/serving/feature-list-sql.ts), interleaved rounds, and the CPU time of a
 * one-record request sent ten at once (sharing a query) against one at a time. During the load, the server's
 * CPU time per answered request (user + system, from the server process), the figure that load on a shared machine
 * disturbs least.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BATCH_MAX_ROWS, openDuckDbAuditor, RawFeaturizer } from '../core/serving/raw-featurizer.js';
import type { RawFeedMode, RawResultShape } from '../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../core/serving/raw-records.js';
import type { CheckedRecords } from '../core/serving/raw-records.js';
import { parseCsv } from '../core/serving/raw-request.js';
import { rawServingSpecOf } from '../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../core/serving/raw-serving-spec.js';
import { loadPipelineSpec } from '../core/spec/load-spec.js';
import { writeModelPointer } from '../local/serving/model-pointer.js';
import { trainXgboost } from '../local/xgboost/train.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from './support/paired-runs.js';
import type { SampleSummary } from './support/paired-runs.js';
import { runAutocannon, startServerChild } from './serve/server-child.js';
import type { AutocannonReport } from './serve/server-child.js';

/** Options of {@link runScoreEndpointBench}. */
export interface ScoreEndpointBenchOptions {
  /** The project root (pipelines/churn). */
  readonly root: string;
  /** Where the model, pointer and request bodies go. */
  readonly workDir: string;
  /** Seconds of load per run (default 5). */
  readonly durationSeconds?: number;
  /** Runs per side (default 3). */
  readonly repeats?: number;
  /** Single records featurized in-process per way of feeding rows (default 2,000). */
  readonly featurizerRecords?: number;
}

/** What one endpoint run measured. */
interface RunDetail {
  readonly p99: number;
  readonly p50: number;
  readonly failed: number;
  /** The server's CPU time per answered request, in µs. */
  readonly cpuMicrosPerRequest: number;
}

const CONNECTIONS = 10;
const TARGET_P99_RATIO = 2;

/** Runs the bench and prints its figures. */
export async function runScoreEndpointBench(options: ScoreEndpointBenchOptions): Promise<void> {
  const durationSeconds = options.durationSeconds ?? 5;
  const repeats = options.repeats ?? 3;
  await mkdir(options.workDir, { recursive: true });
  const spec = loadPipelineSpec('churn', path.join(options.root, 'pipelines'));
  const raw = rawServingSpecOf(spec);
  if (raw === undefined) throw new Error('churn has no raw-record serving spec');
  const [header = [], ...rows] = parseCsv(await import('node:fs/promises').then((fs) => fs.readFile(path.join(options.root, 'pipelines/churn/data/telco_churn.csv'), 'utf8')));
  const records = rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));

  // The featurizer alone, in-process.
  const featurizerFigures = await measureFeaturizer(raw, records, options.featurizerRecords ?? 2000);

  // A churn model trained on the featurizer's own rows (100 trees of depth 4, as a tuned churn model).
  const all = await RawFeaturizer.open(raw);
  const labelled = checkRawRecords(raw, records, 'csv', raw.nullValues);
  const features = await all.featurize(labelled);
  await all.close();
  const lines = records.map((record, r) => `${record['churn'] === 'Yes' ? 1 : 0},${Array.from(features.values.subarray(r * features.nCols, (r + 1) * features.nCols)).join(',')}`);
  const trainFile = path.join(options.workDir, 'train.csv');
  await writeFile(trainFile, `${lines.join('\n')}\n`);
  const trained = await trainXgboost({
    trainFiles: [trainFile],
    validationFiles: [],
    hyperparameters: { objective: 'binary:logistic', num_round: '100', max_depth: '4', eta: '0.1' },
    outputDir: path.join(options.workDir, 'model'),
  });
  const pointerFile = path.join(options.workDir, 'endpoint', 'pointer.json');
  await writeModelPointer(pointerFile, { version: 1, modelArtifact: trained.modelArtifact, rawRecords: raw });

  const customer = { ...records[0] };
  delete customer['churn'];
  const rawBody = path.join(options.workDir, 'raw.json');
  const featurizedBody = path.join(options.workDir, 'featurized.csv');
  await writeFile(rawBody, JSON.stringify(customer));
  await writeFile(featurizedBody, `${Array.from(features.values.subarray(0, features.nCols)).join(',')}\n`);

  const loadAverage = loadavg()[0] ?? 0;
  const server = await startServerChild(pointerFile);
  try {
    const rawAnswer = await (await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(customer) })).text();
    const featurizedAnswer = await (await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: `${Array.from(features.values.subarray(0, features.nCols)).join(',')}\n` })).text();
    const rawScore = (JSON.parse(rawAnswer) as { predictions: { score: number }[] }).predictions[0]?.score;
    if (rawScore === undefined || Math.fround(rawScore) !== Math.fround(Number(featurizedAnswer.trim()))) {
      throw new Error(`raw and featurized answers differ: ${rawAnswer} / ${featurizedAnswer}`);
    }
    // Warm-up: the first raw request opens the model's featurizer.
    await runAutocannon(server.url, rawBody, { connections: CONNECTIONS, seconds: 1, contentType: 'application/json' });
    await runAutocannon(server.url, featurizedBody, { connections: CONNECTIONS, seconds: 1, contentType: 'text/csv' });
    const p99 = { featurized: [] as number[], raw: [] as number[] };
    const p99Micros = { featurized: [] as number[], raw: [] as number[] };
    const cpu = { featurized: [] as number[], raw: [] as number[] };
    const measure = async (side: 'featurized' | 'raw'): Promise<{ value: number; detail: RunDetail }> => {
      const before = await server.cpuMicros();
      const report = await runAutocannon(server.url, side === 'raw' ? rawBody : featurizedBody, {
        connections: CONNECTIONS,
        seconds: durationSeconds,
        contentType: side === 'raw' ? 'application/json' : 'text/csv',
      });
      const detail = detailOf(report, ((await server.cpuMicros()) - before) / Math.max(1, report['2xx']));
      p99[side].push(report.latency.p99);
      p99Micros[side].push(report.latencyMicros.p99);
      cpu[side].push(detail.cpuMicrosPerRequest);
      return { value: report['2xx'] / report.duration, detail };
    };
    const result = await runPaired<RunDetail, RunDetail>({
      repeats,
      baseline: () => measure('featurized'),
      sluice: () => measure('raw'),
      onSample: (side, run, value) => process.stderr.write(`  single row: ${side === 'sluice' ? 'raw JSON' : 'featurized CSV'} #${run + 1} ${value.toFixed(0)} req/s\n`),
    });
    const featurizedP99 = summarize(p99.featurized);
    const rawP99 = summarize(p99.raw);
    const failed = (result.baselineDetail?.failed ?? 0) + (result.sluiceDetail?.failed ?? 0);
    const featurizedP99Micros = summarize(p99Micros.featurized);
    const rawP99Micros = summarize(p99Micros.raw);
    // The target is judged on each response's own time: autocannon's histogram counts whole milliseconds.
    const ratio = rawP99Micros.median / featurizedP99Micros.median;
    const ratioInSteps = rawP99.median / Math.max(featurizedP99.median, 1);
    console.log(
      [
        `\nscore bench, endpoint half: churn, 100 trees of depth 4, 25 features; autocannon ${CONNECTIONS} connections, ${durationSeconds} s per run; ` +
          `${cpus().length} CPUs, load average ${loadAverage.toFixed(2)} before the runs`,
        `featurizer in-process (one churn record): open + prepare ${featurizerFigures.openMs.toFixed(1)} ms; ` +
          Object.entries(featurizerFigures.perRecord)
            .map(([mode, s]) => `${mode} median ${s.median.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`)
            .join('; '),
        `featurizer in-process CPU per one-record query (user + system, ${featurizerFigures.rounds} interleaved rounds): ` +
          Object.entries(featurizerFigures.cpuMicros)
            .map(([shape, s]) => `rows as ${shape === 'list' ? 'one FLOAT list' : 'the query\'s columns'} median ${s.median.toFixed(0)} µs (${s.min.toFixed(0)}-${s.max.toFixed(0)})`)
            .join('; '),
        `featurizer in-process CPU per one-record request, ${AT_ONCE} sent at once against one at a time (${featurizerFigures.rounds} interleaved rounds): ` +
          `median ${featurizerFigures.shared.together.median.toFixed(0)} µs (${featurizerFigures.shared.together.min.toFixed(0)}-${featurizerFigures.shared.together.max.toFixed(0)}) ` +
          `against ${featurizerFigures.shared.alone.median.toFixed(0)} µs (${featurizerFigures.shared.alone.min.toFixed(0)}-${featurizerFigures.shared.alone.max.toFixed(0)}); ` +
          `${featurizerFigures.shared.requests} requests at once took ${featurizerFigures.shared.queries} queries`,
        `compiled query in-process (${featurizerFigures.compiled.engine}), CPU per one-record request (${featurizerFigures.rounds} rounds): median ${featurizerFigures.compiled.perRequest.median.toFixed(1)} µs ` +
          `(${featurizerFigures.compiled.perRequest.min.toFixed(1)}-${featurizerFigures.compiled.perRequest.max.toFixed(1)}); its audit by DuckDB afterwards ${featurizerFigures.compiled.auditMicrosPerRecord.toFixed(0)} µs per record ` +
          `(batches of ${BATCH_MAX_ROWS}, on the endpoint's audit thread)`,
        formatSummaryHeader(),
        formatSummaryLine('single row, featurized CSV (req/s)', result.baseline, 'req/s', 0),
        formatSummaryLine('single row, raw JSON record (req/s)', result.sluice, 'req/s', 0),
        formatSummaryLine('single row, featurized CSV p99 (autocannon, 1 ms steps)', featurizedP99, 'ms', 0),
        formatSummaryLine('single row, raw JSON record p99', rawP99, 'ms', 0),
        formatSummaryLine('single row, featurized CSV p99 (each response\'s time)', featurizedP99Micros, 'µs', 0),
        formatSummaryLine('single row, raw JSON record p99 (each response\'s time)', rawP99Micros, 'µs', 0),
        formatSummaryLine('single row, featurized CSV: server CPU per request', summarize(cpu.featurized), 'µs', 0),
        formatSummaryLine('single row, raw JSON record: server CPU per request', summarize(cpu.raw), 'µs', 0),
        `  raw / featurized: req/s ${result.ratioOfMedians.toFixed(2)}, p99 ${ratio.toFixed(2)} from each response's time ` +
          `(${ratioInSteps.toFixed(2)} in autocannon's 1 ms steps; target p99 within ${TARGET_P99_RATIO}x); failed requests ${failed}: ` +
          `${ratio <= TARGET_P99_RATIO && failed === 0 ? 'target met' : 'TARGET MISSED'}`,
      ].join('\n'),
    );
  } finally {
    await server.stop();
  }
}

/** What the featurizer costs in-process. */
interface FeaturizerFigures {
  readonly openMs: number;
  readonly perRecord: Record<RawFeedMode, { median: number; p99: number }>;
  /** CPU µs per one-record query, per shape of the rows returned, one sample per round. */
  readonly cpuMicros: Record<RawResultShape, SampleSummary>;
  readonly rounds: number;
  readonly shared: SharedFigures;
  readonly compiled: CompiledFigures;
}

/** The compiled query's CPU per one-record request, and what its DuckDB audit cost per record at close. */
interface CompiledFigures {
  readonly engine: string;
  readonly perRequest: SampleSummary;
  readonly auditMicrosPerRecord: number;
}

/** CPU µs per one-record request sent alone and {@link AT_ONCE} at once, and the queries the latter took. */
interface SharedFigures {
  readonly alone: SampleSummary;
  readonly together: SampleSummary;
  readonly queries: number;
  readonly requests: number;
}

const CPU_ROUNDS = 5;

async function measureFeaturizer(raw: RawServingSpec, records: readonly Record<string, string>[], count: number): Promise<FeaturizerFigures> {
  const perRecord = {} as Record<RawFeedMode, { median: number; p99: number }>;
  let openMs = 0;
  for (const mode of ['values', 'appender'] as const) {
    const started = performance.now();
    const featurizer = await RawFeaturizer.open(raw, { mode });
    if (mode === 'values') openMs = performance.now() - started;
    const times: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const record = records[i % records.length] ?? {};
        const t = performance.now();
        await featurizer.featurize(checkRawRecords(raw, [record], 'csv', raw.nullValues));
        times.push(performance.now() - t);
      }
    } finally {
      await featurizer.close();
    }
    times.sort((a, b) => a - b);
    perRecord[mode] = { median: times[Math.floor(times.length / 2)] ?? 0, p99: times[Math.floor(times.length * 0.99)] ?? 0 };
  }
  return {
    openMs,
    perRecord,
    cpuMicros: await measureResultShapes(raw, records, count),
    rounds: CPU_ROUNDS,
    shared: await measureSharedQueries(raw, records, count),
    compiled: await measureCompiled(raw, records, count),
  };
}

/** Audit batches of {@link BATCH_MAX_ROWS} records timed in {@link measureCompiled}. */
const AUDIT_BATCHES = 20;

/**
 * CPU time per one-record request through the compiled query (core/serving/raw-featurizer.ts, "Compiled"), and what
 * its audit costs per record: DuckDB featurizing batches of {@link BATCH_MAX_ROWS} records, as the auditor does.
 */
async function measureCompiled(raw: RawServingSpec, records: readonly Record<string, string>[], count: number): Promise<CompiledFigures> {
  const featurizer = await RawFeaturizer.open(raw, { auditor: openDuckDbAuditor(raw) });
  const checked = oneRecordRequests(raw, records, Math.max(1, Math.ceil(count / CPU_ROUNDS)));
  const perRequest: number[] = [];
  try {
    await featurizeInTurn(featurizer, checked.slice(0, 100));
    for (let round = 0; round < CPU_ROUNDS; round++) perRequest.push((await cpuMicrosOf(() => featurizeInTurn(featurizer, checked))) / checked.length);
  } finally {
    await featurizer.close();
  }
  return { engine: featurizer.engine, perRequest: summarize(perRequest), auditMicrosPerRecord: await auditMicrosPerRecord(raw, records) };
}

/** CPU µs per record of DuckDB featurizing {@link AUDIT_BATCHES} batches of {@link BATCH_MAX_ROWS} records, as the auditor does. */
async function auditMicrosPerRecord(raw: RawServingSpec, records: readonly Record<string, string>[]): Promise<number> {
  const auditor = await openDuckDbAuditor(raw);
  const batch = checkRawRecords(raw, records.slice(0, BATCH_MAX_ROWS), 'csv', raw.nullValues).rows;
  try {
    await auditor.featurize(batch);
    const micros = await cpuMicrosOf(async () => {
      for (let b = 0; b < AUDIT_BATCHES; b++) await auditor.featurize(batch);
    });
    return micros / (AUDIT_BATCHES * batch.length);
  } finally {
    await auditor.close();
  }
}

/** Requests sent at once in {@link measureSharedQueries}: the endpoint load's connections. */
const AT_ONCE = CONNECTIONS;

/**
 * CPU time per one-record request, in-process, sent one at a time and ten at once (interleaved rounds): what a
 * request costs when its query is shared (core/serving/raw-featurizer.ts, "Gathering"), and how many queries ran.
 */
async function measureSharedQueries(raw: RawServingSpec, records: readonly Record<string, string>[], count: number): Promise<SharedFigures> {
  const featurizer = await RawFeaturizer.open(raw);
  const checked = oneRecordRequests(raw, records, Math.max(AT_ONCE, Math.ceil(count / CPU_ROUNDS)));
  const alone: number[] = [];
  const together: number[] = [];
  let queries = 0;
  let requests = 0;
  try {
    await featurizeInTurn(featurizer, checked.slice(0, 100));
    for (let round = 0; round < CPU_ROUNDS; round++) {
      alone.push((await cpuMicrosOf(() => featurizeInTurn(featurizer, checked))) / checked.length);
      const before = featurizer.queries;
      const micros = await cpuMicrosOf(async () => {
        for (let at = 0; at + AT_ONCE <= checked.length; at += AT_ONCE) await Promise.all(checked.slice(at, at + AT_ONCE).map((one) => featurizer.featurize(one)));
      });
      const sent = checked.length - (checked.length % AT_ONCE);
      together.push(micros / sent);
      queries += featurizer.queries - before;
      requests += sent;
    }
  } finally {
    await featurizer.close();
  }
  return { alone: summarize(alone), together: summarize(together), queries, requests };
}

/** CPU time per one-record query (this process: DuckDB runs its queries on node-api's threads), both shapes in turn. */
async function measureResultShapes(raw: RawServingSpec, records: readonly Record<string, string>[], count: number): Promise<Record<RawResultShape, SampleSummary>> {
  const shapes: readonly RawResultShape[] = ['columns', 'list'];
  const featurizers = await Promise.all(shapes.map((results) => RawFeaturizer.open(raw, { results })));
  const checked = oneRecordRequests(raw, records, Math.max(1, Math.ceil(count / CPU_ROUNDS)));
  const samples: Record<RawResultShape, number[]> = { columns: [], list: [] };
  try {
    for (const featurizer of featurizers) await featurizeInTurn(featurizer, checked.slice(0, 100));
    for (let round = 0; round < CPU_ROUNDS; round++) {
      for (const [s, featurizer] of featurizers.entries()) samples[shapes[s] ?? 'list'].push((await cpuMicrosOf(() => featurizeInTurn(featurizer, checked))) / checked.length);
    }
  } finally {
    await Promise.all(featurizers.map((f) => f.close()));
  }
  return { columns: summarize(samples.columns), list: summarize(samples.list) };
}

/** This process's CPU time (user + system, all its threads: DuckDB runs on node-api's) while `work` runs, in µs. */
async function cpuMicrosOf(work: () => Promise<void>): Promise<number> {
  const started = process.cpuUsage();
  await work();
  const used = process.cpuUsage(started);
  return used.user + used.system;
}

/** The first `n` records, each checked as a request of its own. */
function oneRecordRequests(raw: RawServingSpec, records: readonly Record<string, string>[], n: number): CheckedRecords[] {
  return records.slice(0, n).map((record) => checkRawRecords(raw, [record], 'csv', raw.nullValues));
}

/** Featurizes each request in turn, one at a time. */
async function featurizeInTurn(featurizer: RawFeaturizer, requests: readonly CheckedRecords[]): Promise<void> {
  for (const one of requests) await featurizer.featurize(one);
}

function detailOf(report: AutocannonReport, cpuMicrosPerRequest: number): RunDetail {
  return { p99: report.latency.p99, p50: report.latency.p50, failed: report.non2xx + report.errors + report.timeouts, cpuMicrosPerRequest };
}

