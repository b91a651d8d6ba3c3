import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Measurement } from '../support/paired-runs.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';
import { generateChurnCsv } from './generate-csv.js';
import { runProfileCostBench } from './profile-cost-bench.js';

const execFileAsync = promisify(execFile);

/** What one child run reports (see `ingest-child.ts`). */
export interface IngestMeasurement {
  mode: IngestMode;
  ms: number;
  /** User + system CPU seconds of the whole process. */
  cpuSeconds: number;
  threads: number;
  memoryLimit: string;
  peakRssMb: number;
  rows: unknown;
}

/** A side of the ingest bench: DuckDB's plain copy, Sluice's ingest, or Sluice's ingest without its data-quality profile. */
export type IngestMode = 'duckdb' | 'sluice' | 'sluice-unprofiled';

/** How one child run is sized: DuckDB threads and memory limit. */
export interface IngestChildLimits {
  threads?: number;
  /** DuckDB memory limit, e.g. "1GB". */
  memoryLimit?: string;
}

/** Runs one side in a fresh process (so its peak RSS is its own) and returns what it printed. */
export async function measureIngest(mode: IngestMode, csv: string, workDir: string, limits: IngestChildLimits = {}): Promise<IngestMeasurement> {
  const args = [path.join(__dirname, 'ingest-child.js'), mode, csv, workDir, limits.memoryLimit ?? '1GB', String(limits.threads ?? 0)];
  const { stdout } = await execFileAsync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as IngestMeasurement;
}

/** Makes (or reuses) the bench's churn CSV of about `bytes` and returns its path and size in MB. */
export async function benchCsv(dataDir: string, bytes: number): Promise<{ csv: string; mb: number }> {
  await mkdir(dataDir, { recursive: true });
  const csv = path.join(dataDir, `churn-${Math.round(bytes / 1e6)}mb.csv`);
  process.stdout.write(`generating ${csv} (~${Math.round(bytes / 1e6)} MB)…\n`);
  const generated = await generateChurnCsv(csv, bytes);
  return { csv, mb: generated.bytes / 1e6 };
}

/**
 * `npm run bench -- ingest [--mb 1000] [--repeats 3]`: ValidateAndPartition against DuckDB's own plain
 * `COPY … PARTITION_BY` of the same churn-shaped CSV, interleaved (bench/support/paired-runs.ts), each run in a fresh
 * process. Prints min / median / max of seconds and MB/s for each side, the peak RSS of the median run, and the ratio
 * of median throughputs (target ≥ 0.8).
 */
export async function runIngestBench(options: { bytes: number; dataDir: string; repeats: number }): Promise<void> {
  const { csv, mb } = await benchCsv(options.dataDir, options.bytes);
  const side = (mode: 'duckdb' | 'sluice') => async (): Promise<Measurement<IngestMeasurement>> => {
    const m = await measureIngest(mode, csv, path.join(options.dataDir, `work-${mode}`));
    return { value: m.ms / 1000, detail: m };
  };
  const result = await runPaired({
    repeats: options.repeats,
    baseline: side('duckdb'),
    sluice: side('sluice'),
    onSample: (s, run, seconds) => process.stdout.write(`  run ${run + 1} ${s}: ${seconds.toFixed(2)} s\n`),
  });
  await rm(path.join(options.dataDir, 'work-duckdb'), { recursive: true, force: true });
  await rm(path.join(options.dataDir, 'work-sluice'), { recursive: true, force: true });
  // Throughput per run, summarised on its own: the min MB/s is the slowest run's, not mb / the min seconds' inverse.
  const mbps = (seconds: readonly number[]) => summarize(seconds.map((s) => mb / s));
  const lines = [
    `\ningest: ${mb.toFixed(0)} MB CSV, interleaved, ${result.sluice.samples.length} runs per side, fresh process per run`,
    formatSummaryHeader(),
    formatSummaryLine('DuckDB COPY PARTITION_BY (baseline)', mbps(result.baseline.samples), 'MB/s', 1),
    formatSummaryLine('Sluice ValidateAndPartition', mbps(result.sluice.samples), 'MB/s', 1),
    formatSummaryLine('DuckDB COPY PARTITION_BY (baseline)', result.baseline, 's'),
    formatSummaryLine('Sluice ValidateAndPartition', result.sluice, 's'),
    `  CPU seconds (median run): baseline ${result.baselineDetail?.cpuSeconds.toFixed(1) ?? '?'}, Sluice ${result.sluiceDetail?.cpuSeconds.toFixed(1) ?? '?'}`,
    `  peak RSS (median run): baseline ${result.baselineDetail?.peakRssMb.toFixed(0) ?? '?'} MB, Sluice ${result.sluiceDetail?.peakRssMb.toFixed(0) ?? '?'} MB  (target < 1536 MB)`,
    `  rows: baseline ${JSON.stringify(result.baselineDetail?.rows)}, Sluice ${JSON.stringify(result.sluiceDetail?.rows)}`,
    // Throughput ratio = inverse of the seconds ratio of medians.
    `  throughput ratio of medians (Sluice / DuckDB): ${(1 / result.ratioOfMedians).toFixed(2)}  (target >= 0.8)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await runProfileCostBench({ csv, mb, dataDir: options.dataDir, repeats: options.repeats });
}
