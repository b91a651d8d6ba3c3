import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatSummaryHeader, formatSummaryLine, summarize } from '../support/paired-runs.js';
import { generateChurnCsv } from './generate-csv.js';

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

/** The sides of `npm run bench -- ingest`, in the order each round runs them. */
const SIDES = [
  { mode: 'duckdb', label: 'DuckDB COPY PARTITION_BY (baseline)' },
  { mode: 'sluice-unprofiled', label: 'Sluice, quality.profile: false' },
  { mode: 'sluice', label: 'Sluice, profiled and checked' },
] as const satisfies readonly { mode: IngestMode; label: string }[];

/**
 * `npm run bench -- ingest [--mb 1000] [--repeats 3]`: DuckDB's own plain `COPY … PARTITION_BY` of a churn-shaped
 * CSV, ValidateAndPartition without its data-quality profile, and ValidateAndPartition as shipped (profile, checks, bias
 * counts), side by side: each round runs the three in turn (interleaved, as bench/support/paired-runs.ts pairs two), each
 * run in a fresh process. Prints min / median / max of wall seconds and of CPU seconds (user + system of every thread:
 * what a loaded machine distorts least), the throughput ratios to DuckDB (target >= 0.8) and the profile's overhead
 * (issue 15: at most 20%), each from medians.
 */
export async function runIngestBench(options: { bytes: number; dataDir: string; repeats: number }): Promise<void> {
  const { csv, mb } = await benchCsv(options.dataDir, options.bytes);
  const runs = new Map<IngestMode, IngestMeasurement[]>(SIDES.map((s) => [s.mode, []]));
  const loadAtStart = loadavg()[0] ?? 0;
  for (let round = 0; round < Math.max(1, Math.floor(options.repeats)); round++) {
    for (const side of SIDES) {
      const workDir = path.join(options.dataDir, `work-${side.mode}`);
      const m = await measureIngest(side.mode, csv, workDir);
      await rm(workDir, { recursive: true, force: true });
      runs.get(side.mode)?.push(m);
      process.stdout.write(`  run ${round + 1} ${side.label}: ${(m.ms / 1000).toFixed(2)} s wall, ${m.cpuSeconds.toFixed(1)} s CPU\n`);
    }
  }
  const of = (mode: IngestMode) => runs.get(mode) ?? [];
  const wall = (mode: IngestMode) => summarize(of(mode).map((m) => m.ms / 1000));
  const cpu = (mode: IngestMode) => summarize(of(mode).map((m) => m.cpuSeconds));
  const median = (mode: IngestMode) => of(mode).reduce<IngestMeasurement | undefined>((best, m) => (!best || Math.abs(m.ms / 1000 - wall(mode).median) < Math.abs(best.ms / 1000 - wall(mode).median) ? m : best), undefined);
  // Throughput ratio = inverse of the seconds ratio of medians.
  const ratio = (mode: IngestMode, figure: (m: IngestMode) => { median: number }) => (figure('duckdb').median / figure(mode).median).toFixed(2);
  const overhead = (figure: (m: IngestMode) => { median: number }) => `${((figure('sluice').median / figure('sluice-unprofiled').median - 1) * 100).toFixed(1)}%`;
  const lines = [
    `\ningest: ${mb.toFixed(0)} MB CSV, ${of('sluice').length} rounds of DuckDB / Sluice without profile / Sluice, fresh process per run, ${availableParallelism()} cores, load average ${loadAtStart.toFixed(1)} at start and ${(loadavg()[0] ?? 0).toFixed(1)} at end`,
    formatSummaryHeader(),
    ...SIDES.map((s) => formatSummaryLine(`${s.label}, wall`, wall(s.mode), 's')),
    ...SIDES.map((s) => formatSummaryLine(`${s.label}, CPU`, cpu(s.mode), 's')),
    ...SIDES.map((s) => formatSummaryLine(`${s.label}`, summarize(of(s.mode).map((m) => mb / (m.ms / 1000))), 'MB/s', 1)),
    `  throughput ratio of medians to DuckDB (target >= 0.8): wall ${ratio('sluice-unprofiled', wall)} without profile, ${ratio('sluice', wall)} with; CPU ${ratio('sluice-unprofiled', cpu)} without, ${ratio('sluice', cpu)} with`,
    `  profile overhead (ratio of medians - 1, target <= 20%): wall ${overhead(wall)}, CPU ${overhead(cpu)}`,
    `  peak RSS (median run): ${SIDES.map((s) => `${s.mode} ${median(s.mode)?.peakRssMb.toFixed(0) ?? '?'} MB`).join(', ')}  (target < 1536 MB)`,
    `  rows: ${SIDES.map((s) => `${s.mode} ${JSON.stringify(median(s.mode)?.rows)}`).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
