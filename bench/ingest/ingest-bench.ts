import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { generateChurnCsv } from './generate-csv.js';

/** One side's measurement. */
export interface IngestMeasurement {
  mode: string;
  ms: number;
  peakRssMb: number;
  rows: unknown;
}

function measure(mode: 'duckdb' | 'sluice', csv: string, workDir: string): IngestMeasurement {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'ingest-child.js'), mode, csv, workDir], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as IngestMeasurement;
}

/**
 * `npm run bench -- ingest`: generates a churn-shaped CSV of about `bytes` and measures ValidateAndPartition against
 * DuckDB's own plain `COPY … PARTITION_BY` of the same file, in the same run, each in a fresh process, best of
 * `repeats`. Prints throughput, peak RSS and the ratio.
 */
export async function runIngestBench(options: { bytes: number; dataDir: string; repeats: number }): Promise<void> {
  await mkdir(options.dataDir, { recursive: true });
  const csv = path.join(options.dataDir, `churn-${Math.round(options.bytes / 1e6)}mb.csv`);
  process.stdout.write(`generating ${csv} (~${Math.round(options.bytes / 1e6)} MB)…\n`);
  const generated = await generateChurnCsv(csv, options.bytes);
  const mb = generated.bytes / 1e6;
  const best = (mode: 'duckdb' | 'sluice') => {
    const runs = Array.from({ length: options.repeats }, () => measure(mode, csv, path.join(options.dataDir, `work-${mode}`)));
    return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  };
  const baseline = best('duckdb');
  const sluice = best('sluice');
  await rm(path.join(options.dataDir, 'work-duckdb'), { recursive: true, force: true });
  await rm(path.join(options.dataDir, 'work-sluice'), { recursive: true, force: true });
  const rows = [
    ['', 'MB/s', 'seconds', 'peak RSS MB', 'rows'],
    ['DuckDB COPY PARTITION_BY (baseline)', (mb / (baseline.ms / 1000)).toFixed(1), (baseline.ms / 1000).toFixed(2), baseline.peakRssMb.toFixed(0), JSON.stringify(baseline.rows)],
    ['Sluice ValidateAndPartition', (mb / (sluice.ms / 1000)).toFixed(1), (sluice.ms / 1000).toFixed(2), sluice.peakRssMb.toFixed(0), JSON.stringify(sluice.rows)],
  ];
  process.stdout.write(`\ningest: ${mb.toFixed(0)} MB CSV, best of ${options.repeats}\n`);
  for (const r of rows) process.stdout.write(`  ${(r[0] ?? '').padEnd(38)}${(r[1] ?? '').padStart(8)}${(r[2] ?? '').padStart(10)}${(r[3] ?? '').padStart(13)}   ${r[4] ?? ''}\n`);
  process.stdout.write(`  throughput ratio (Sluice / DuckDB): ${(baseline.ms / sluice.ms).toFixed(2)}  (target >= 0.8)\n`);
  process.stdout.write(`  Sluice peak RSS: ${sluice.peakRssMb.toFixed(0)} MB  (target < 1536 MB)\n`);
}
