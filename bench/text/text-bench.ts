/**
 * `npm run bench -- text` (registration left to bench/main.ts): the local BlazingText trainer against Debian's
 * `fasttext supervised` on the same channel files, hyperparameters, seed and threads, interleaved on the shared
 * paired-runs harness; then single-review predictions per second and p99 latency of the local predictor.
 *
 * Data: the reviews sample (pipelines/reviews/data), made into BlazingText lines by the pipeline's own feature SQL
 * and the channel wrapper on DuckDB: the train CSV for training, the test CSV for validation.
 * Both sides are timed from start to a finished model: the baseline is `fasttext supervised` alone, the Sluice side
 * the whole local job (gather the channel, train, score the validation set, write model.tar.gz), and its fastText
 * part and what follows it are shown too. A second baseline adds `fasttext test` on the validation file to the
 * command line's time, since BlazingText also scores a validation channel when given one. Accuracy: `fasttext test` P@1 (3 decimals, as fastText prints it) against the job's
 * `validation:accuracy`.
 *
 * CPU time beside wall time: on a shared machine wall seconds follow the load, CPU seconds (user + system) much less.
 * Each side's CPU is this process's own (`process.cpuUsage`, thread pool included) plus that of the children it
 * waited for (`cutime` + `cstime` of /proc/self/stat, proc(5): the fastText processes), over the run; Linux only.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installTrinoCompat, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { channelSelectSql } from '../../core/text/channel-line.js';
import { majorityBaselineAccuracy } from '../../core/text/classification-metrics.js';
import { fromFastTextLabel } from '../../core/text/label-mapping.js';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import { supervisedArguments } from '../../local/fasttext/cli.js';
import { extractFastTextModel } from '../../local/fasttext/model-archive.js';
import { FastTextPredictor } from '../../local/fasttext/predictor.js';
import { trainFastText } from '../../local/fasttext/train.js';
import type { FastTextTrainResult } from '../../local/fasttext/train.js';
import { endedChildrenCpuSeconds } from '../support/children-cpu.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';
import type { PairedResult, SampleSummary } from '../support/paired-runs.js';

const run = promisify(execFile);

/** The reviews pipeline's hyperparameters (pipelines/reviews/pipeline.yml). */
export const TEXT_BENCH_HYPERPARAMETERS: RawBlazingTextHyperparameters = Object.freeze({
  mode: 'supervised',
  epochs: 10,
  learning_rate: 0.1,
  word_ngrams: 2,
  vector_dim: 50,
  min_count: 1,
});

/** How to run the bench. */
export interface TextBenchOptions {
  /** The repository root (pipelines/reviews/ is read from it). */
  readonly root: string;
  /** Scratch folder (removed at the end). */
  readonly workDir: string;
  readonly repeats: number;
  readonly threads: number;
  /** Single-review predictions timed. */
  readonly predictions: number;
  readonly hyperparameters?: RawBlazingTextHyperparameters;
}

/** What the bench measured. */
export interface TextBenchResult {
  readonly training: PairedResult<{ accuracy: number }, { accuracy: number; fastTextSeconds: number }>;
  readonly fastTextPart: SampleSummary;
  /** The job's time after `fasttext supervised` returned: validation scoring alongside the archive. */
  readonly afterTraining: SampleSummary;
  /** The command line's `fasttext supervised` + `fasttext test` on the validation file, per run. */
  readonly withTest: SampleSummary;
  /** CPU seconds (user + system, children included) of `fasttext supervised` and of the whole job, per run. */
  readonly cpu: { readonly baseline: SampleSummary; readonly sluice: SampleSummary };
  readonly majorityBaseline: number;
  readonly predictionsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly threads: number;
  readonly trainRows: number;
  readonly validationRows: number;
}

/** Runs the bench; see the module comment. */
export async function runTextBench(options: TextBenchOptions): Promise<TextBenchResult> {
  await mkdir(options.workDir, { recursive: true });
  const scratch = await mkdtemp(join(options.workDir, 'text-bench-'));
  const hyperparameters = options.hyperparameters ?? TEXT_BENCH_HYPERPARAMETERS;
  try {
    const data = join(options.root, 'pipelines', 'reviews', 'data');
    const sql = await readFile(join(options.root, 'pipelines', 'reviews', 'features.sql'), 'utf8');
    const trainFile = join(scratch, 'train.txt');
    const validationFile = join(scratch, 'validation.txt');
    const trainRows = await writeChannel(sql, join(data, 'fine_foods_reviews_train.csv'), trainFile);
    const validationLines = await writeChannel(sql, join(data, 'fine_foods_reviews_test.csv'), validationFile);
    const majorityBaseline = majorityBaselineAccuracy(validationLines.map((line) => fromFastTextLabel(line.split(' ')[0] ?? '')));
    let lastModel = '';
    let run_ = 0;
    const fastTextSeconds: number[] = [];
    const afterTrainingSeconds: number[] = [];
    // `fasttext supervised` then `fasttext test`: what BlazingText does when given a validation channel (it reports
    // validation:accuracy), timed from the same runs as the plain baseline.
    const withTestSeconds: number[] = [];
    const cpuBaseline: number[] = [];
    const cpuSluice: number[] = [];
    const training = await runPaired({
      repeats: options.repeats,
      baseline: async () => {
        const prefix = join(scratch, `cli-${run_}`);
        const { args } = supervisedArguments(hyperparameters, { input: trainFile, outputPrefix: prefix }, { threads: options.threads });
        const started = performance.now();
        const cpuStarted = cpuSeconds();
        await run('fasttext', [...args]);
        const seconds = (performance.now() - started) / 1000;
        cpuBaseline.push(cpuSeconds() - cpuStarted);
        const { stdout } = await run('fasttext', ['test', `${prefix}.bin`, validationFile]);
        withTestSeconds.push((performance.now() - started) / 1000);
        await rm(`${prefix}.bin`, { force: true });
        await rm(`${prefix}.vec`, { force: true });
        return { value: seconds, detail: { accuracy: Number(/P@1\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN) } };
      },
      sluice: async () => {
        const outputDir = join(scratch, `job-${run_++}`, 'output');
        const started = performance.now();
        const cpuStarted = cpuSeconds();
        const result: FastTextTrainResult = await trainFastText({ train: trainFile, validation: validationFile, hyperparameters, outputDir }, { threads: options.threads });
        const seconds = (performance.now() - started) / 1000;
        cpuSluice.push(cpuSeconds() - cpuStarted);
        fastTextSeconds.push(result.fastTextMs / 1000);
        afterTrainingSeconds.push((result.durationMs - result.fastTextMs) / 1000);
        if (lastModel !== '') await rm(join(lastModel, '..'), { recursive: true, force: true });
        lastModel = result.modelArtifact;
        return { value: seconds, detail: { accuracy: result.finalMetrics['validation:accuracy'] ?? Number.NaN, fastTextSeconds: result.fastTextMs / 1000 } };
      },
      onSample: (side, i, value) => console.error(`  ${side} run ${i + 1}: ${value.toFixed(2)} s`),
    });
    const modelBin = await extractFastTextModel(lastModel, join(scratch, 'served'));
    const texts = validationLines.map((line) => line.slice(line.indexOf(' ') + 1));
    const predictor = await FastTextPredictor.open(modelBin);
    const latencies: number[] = [];
    try {
      for (let i = 0; i < options.predictions; i++) {
        const started = performance.now();
        await predictor.predict([texts[i % texts.length] ?? ''], 1);
        latencies.push(performance.now() - started);
      }
    } finally {
      await predictor.close();
    }
    latencies.sort((a, b) => a - b);
    const total = latencies.reduce((a, b) => a + b, 0);
    return {
      training,
      fastTextPart: summarize(fastTextSeconds),
      afterTraining: summarize(afterTrainingSeconds),
      withTest: summarize(withTestSeconds),
      cpu: { baseline: summarize(cpuBaseline), sluice: summarize(cpuSluice) },
      majorityBaseline,
      predictionsPerSecond: latencies.length / (total / 1000),
      p50Ms: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
      p99Ms: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN,
      threads: options.threads,
      trainRows: trainRows.length,
      validationRows: validationLines.length,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The bench's report. */
export function formatTextBench(result: TextBenchResult): string {
  const { training } = result;
  return [
    `text bench: reviews, ${result.trainRows} training / ${result.validationRows} validation lines, ${result.threads} thread(s)`,
    formatSummaryHeader(),
    formatSummaryLine('fasttext supervised (command line)', training.baseline, 's'),
    formatSummaryLine('Sluice local BlazingText job (whole job)', training.sluice, 's'),
    formatSummaryLine('  of which fasttext supervised', result.fastTextPart, 's'),
    formatSummaryLine('  of which after fastText exited (scoring, archive tail)', result.afterTraining, 's'),
    formatSummaryLine('fasttext supervised + fasttext test', result.withTest, 's'),
    formatSummaryLine('CPU: fasttext supervised (command line)', result.cpu.baseline, 'CPU s'),
    formatSummaryLine('CPU: Sluice local BlazingText job', result.cpu.sluice, 'CPU s'),
    `  ratio of medians (job / command line): ${training.ratioOfMedians.toFixed(3)} wall, ${(result.cpu.sluice.median / result.cpu.baseline.median).toFixed(3)} CPU`,
    `  ratio of medians (job / supervised + test, what BlazingText does with a validation channel): ${(training.sluice.median / result.withTest.median).toFixed(3)}`,
    `  accuracy: command line ${training.baselineDetail?.accuracy.toFixed(3) ?? '?'}, Sluice ${training.sluiceDetail?.accuracy.toFixed(4) ?? '?'}, majority baseline ${result.majorityBaseline.toFixed(4)}`,
    `  single-review predictions: ${result.predictionsPerSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`,
  ].join('\n');
}

/** CPU seconds so far of this process (all its threads, `process.cpuUsage`) and of the children it has waited for. */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const children = endedChildrenCpuSeconds();
  if (children === undefined) throw new Error('the text bench reads its children\'s CPU time from /proc/self/stat (Linux only)');
  return (own.user + own.system) / 1e6 + children;
}

async function writeChannel(sql: string, csv: string, target: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await installTrinoCompat(connection);
    await connection.run(`CREATE TABLE reviews AS SELECT * FROM read_csv('${csv.replaceAll("'", "''")}', header = true, all_varchar = true)`);
    const reader = await connection.runAndReadAll(translateTrinoSql(channelSelectSql(sql)));
    const lines = reader.getRowObjectsJson().map((row) => String(row['line']));
    await writeFile(target, lines.map((line) => `${line}\n`).join(''));
    return lines;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
