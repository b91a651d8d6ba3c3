/**
 * `npm run bench -- score --part batch [--rows N] [--repeats N]`, batch half (issue 12): local batch scoring rows/s on
 * `rows` raw churn rows (bench/ingest/generate-csv.ts, the label column kept: scoring accepts it) against in-process
 * prediction of the same rows already featurized, run in turn (bench/support/paired-runs.ts). The ratio of medians is
 * the cost of the whole scoring workflow around the prediction: contract validation, the feature SQL, the transform
 * input and output files, the Parquet predictions and the catalog.
 *
 * - Sluice: `runLocalScoring` on the raw file (sluice-score.asl.json on the local engine), rows in / wall seconds.
 * - Baseline: the featurized rows of a warm-up Sluice run (its transform input, copied aside) predicted by the same
 *   XGBoost batch code the local scorer runs (local/scoring/xgboost-batch.ts), in this process, with the same filters.
 *
 * The production model comes from one training run of pipelines/churn on its sample data (tuning off, as the tests'
 * untuned churn spec), whose promoted model is served by an in-process endpoint closed after the run.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { fixedSpecCatalog } from '../core/pipelines/spec-catalog.js';
import { lakeLayout } from '../core/run/lake-layout.js';
import { scoringFormat } from '../core/scoring/scoring-format.js';
import { parsePipelineSpec } from '../core/spec/load-spec.js';
import type { PipelineSpec } from '../core/spec/load-spec.js';
import { pointerFile } from '../local/adapters/local-hosting.js';
import type { ServerLauncher } from '../local/adapters/local-hosting.js';
import { LOCAL_LAKE_BUCKET } from '../local/runtime/local-deps.js';
import { runLocal } from '../local/runtime/run-local.js';
import { runLocalScoring } from '../local/runtime/run-local-scoring.js';
import type { ScoringSummary } from '../local/runtime/run-local-scoring.js';
import { batchFiles } from '../local/scoring/batch-files.js';
import { scoreXgboostFiles } from '../local/scoring/xgboost-batch.js';
import type { EndpointServer } from '../local/serving/index.js';
import { startEndpointServer } from '../local/serving/index.js';
import { generateChurnCsv } from './ingest/generate-csv.js';
import { formatSummaryHeader, formatSummaryLine, runPaired } from './support/paired-runs.js';

/** Options of {@link runScoreBatchBench}. */
export interface ScoreBatchBenchOptions {
  /** The project root (pipelines/churn, state-machines/). */
  readonly root: string;
  /** Where the raw file, the lake and the featurized copy go; emptied first, removed after. */
  readonly workDir: string;
  /** Raw churn rows to score (about: the generator writes whole chunks of 5,000). */
  readonly rows: number;
  /** Runs per side (default 3). */
  readonly repeats?: number;
}

/** Bytes of one generated churn row, on average (generate-csv.ts's rows measure 125 to 135 bytes). */
const BYTES_PER_ROW = 130;
/** Boosting rounds of the bench's churn model: the shipped spec's tuned models have about this many. */
const ROUNDS = 100;

/** Runs the batch half of the score bench and prints its figures. */
export async function runScoreBatchBench(options: ScoreBatchBenchOptions): Promise<void> {
  const repeats = options.repeats ?? 3;
  await rm(options.workDir, { recursive: true, force: true });
  const lake = path.join(options.workDir, 'lake');
  const featurizedDir = path.join(options.workDir, 'featurized');
  await mkdir(featurizedDir, { recursive: true });
  try {
    const spec = await untunedChurnSpec(options.root);
    const specs = fixedSpecCatalog([spec]);
    await trainProductionModel(options.root, spec, lake);

    const key = `score/${spec.name}/bench-${options.rows}.csv`;
    const rawFile = path.join(lake, LOCAL_LAKE_BUCKET, key);
    await mkdir(path.dirname(rawFile), { recursive: true });
    process.stderr.write(`score batch: generating about ${options.rows.toLocaleString('en')} raw churn rows…\n`);
    await generateChurnCsv(rawFile, options.rows * BYTES_PER_ROW);

    let run = 0;
    const score = async (): Promise<{ summary: ScoringSummary; seconds: number }> => {
      const started = performance.now();
      const summary = await runLocalScoring({ lake, pipeline: spec.name, key, projectRoot: options.root, specs, executionName: `bench-score-${++run}` });
      const seconds = (performance.now() - started) / 1000;
      if (summary.status !== 'SUCCEEDED' || summary.manifest === undefined) {
        throw new Error(`scoring failed in ${summary.error?.state ?? '?'}: ${summary.error?.name ?? ''} ${summary.error?.message ?? ''}`);
      }
      return { summary, seconds };
    };
    const runDir = (scoreRunId: string) => path.join(lake, LOCAL_LAKE_BUCKET, `scoring/${spec.name}/runs/${scoreRunId}`);

    // Warm-up: caches the engine's validated definition, and leaves the featurized rows the baseline predicts.
    const warm = await score();
    const manifest = warm.summary.manifest;
    if (manifest === undefined) throw new Error('the warm-up scoring run wrote no manifest');
    await cp(path.join(lake, LOCAL_LAKE_BUCKET, lakeLayout.transformInputPrefix(spec.name, warm.summary.scoreRunId)), featurizedDir, { recursive: true });
    await rm(runDir(warm.summary.scoreRunId), { recursive: true, force: true });
    const artifact = String((manifest.model as { artifact?: unknown }).artifact ?? '');
    if (!artifact.startsWith('s3://')) throw new Error(`the scoring manifest names no model artifact (${artifact})`);
    const artifactFile = path.join(lake, artifact.slice('s3://'.length));
    const format = scoringFormat('xgboost');
    const predictedDir = path.join(options.workDir, 'predicted');

    const loadAverage = loadavg()[0] ?? 0;
    const result = await runPaired<{ rows: number }, { rows: number; scored: number }>({
      repeats,
      baseline: async () => {
        await rm(predictedDir, { recursive: true, force: true });
        await mkdir(predictedDir, { recursive: true });
        const started = performance.now();
        const files = await batchFiles(featurizedDir, predictedDir);
        const rows = await scoreXgboostFiles({ artifact: artifactFile, files, inputFilter: format.inputFilter, outputFilter: format.outputFilter(1) });
        const seconds = (performance.now() - started) / 1000;
        return { value: rows / seconds, detail: { rows } };
      },
      sluice: async () => {
        const { summary, seconds } = await score();
        const rows = summary.manifest?.rows;
        // Each run's working files are as large as the input: only the figures are kept.
        await rm(runDir(summary.scoreRunId), { recursive: true, force: true });
        return { value: (rows?.input ?? 0) / seconds, detail: { rows: rows?.input ?? 0, scored: rows?.scored ?? 0 } };
      },
      onSample: (side, i, value) => process.stderr.write(`  score batch: ${side === 'sluice' ? 'runLocalScoring (raw file)' : 'in-process predict (featurized)'} #${i + 1} ${value.toFixed(0)} rows/s\n`),
    });
    const rows = result.sluiceDetail?.rows ?? 0;
    console.log(
      [
        `\nscore bench, batch half: ${rows.toLocaleString('en')} raw churn rows (${(result.sluiceDetail?.scored ?? 0).toLocaleString('en')} valid and scored), ` +
          `churn model of ${ROUNDS} trees; ${cpus().length} CPUs, load average ${loadAverage.toFixed(2)} before the runs`,
        formatSummaryHeader(),
        formatSummaryLine('in-process predict, featurized rows (rows/s)', result.baseline, 'rows/s', 0),
        formatSummaryLine('runLocalScoring, raw file to Parquet (rows/s)', result.sluice, 'rows/s', 0),
        `  scoring workflow / in-process predict: rows/s ${result.ratioOfMedians.toFixed(2)} (the share of the time spent predicting; ` +
          `${(1 / result.ratioOfMedians).toFixed(1)}x slower end to end: validation, feature SQL, files and catalog)`,
      ].join('\n'),
    );
  } finally {
    await rm(options.workDir, { recursive: true, force: true });
  }
}

/**
 * pipelines/churn as shipped, but one training job of {@link ROUNDS} rounds instead of a tuning job (the way
 * test/fixtures/untuned-churn.ts derives it), so the bench reaches a production model in seconds.
 */
async function untunedChurnSpec(root: string): Promise<PipelineSpec> {
  const file = path.join(root, 'pipelines', 'churn', 'pipeline.yml');
  const document = parseDocument(await readFile(file, 'utf8'));
  document.setIn(['tuning', 'enabled'], false);
  document.setIn(['training', 'hyperparameters', 'num_round'], ROUNDS);
  return parsePipelineSpec(String(document), file);
}

/** Trains and promotes a churn model in `lake` from the sample data, its endpoint served in this process meanwhile. */
async function trainProductionModel(root: string, spec: PipelineSpec, lake: string): Promise<void> {
  const servers = new Map<string, EndpointServer>();
  const launcher: ServerLauncher = async (dir) => {
    let server = servers.get(dir);
    if (!server) {
      server = await startEndpointServer({ host: '127.0.0.1', port: 0, modelSource: { pointerFile: pointerFile(dir) } });
      servers.set(dir, server);
    }
    server.refresh();
    return server.url;
  };
  const key = `${spec.source.prefix}telco_churn.csv`;
  const file = path.join(lake, LOCAL_LAKE_BUCKET, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await readFile(path.join(root, 'pipelines/churn/data/telco_churn.csv')));
  try {
    process.stderr.write('score batch: training the production churn model…\n');
    const summary = await runLocal({ projectRoot: root, spec, specs: fixedSpecCatalog([spec]), lakeRoot: lake, input: { pipeline: spec.name, key }, launcher });
    if (summary.error) throw new Error(`training failed: ${summary.error.name}: ${summary.error.message}`);
  } finally {
    await Promise.all([...servers.values()].map((server) => server.close()));
  }
}
