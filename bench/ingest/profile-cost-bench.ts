import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Measurement } from '../support/paired-runs.js';
import { formatSummaryHeader, formatSummaryLine, runPaired } from '../support/paired-runs.js';
import type { IngestMeasurement } from './ingest-bench.js';
import { measureIngest } from './ingest-bench.js';

/**
 * The data-quality profile's cost (issue 15: at most 20% of the ingest): ValidateAndPartition with the churn spec as
 * shipped (profile, checks, bias counts) against the same spec with `quality.profile: false`, interleaved, each run in a
 * fresh process. Prints min / median / max seconds of each side and the overhead of the median.
 */
export async function runProfileCostBench(options: { csv: string; mb: number; dataDir: string; repeats: number }): Promise<void> {
  const side = (mode: 'sluice' | 'sluice-unprofiled') => async (): Promise<Measurement<IngestMeasurement>> => {
    const m = await measureIngest(mode, options.csv, path.join(options.dataDir, `work-profile-cost-${mode}`));
    return { value: m.ms / 1000, detail: m };
  };
  const result = await runPaired({
    repeats: options.repeats,
    baseline: side('sluice-unprofiled'),
    sluice: side('sluice'),
    onSample: (s, run, seconds) => process.stdout.write(`  run ${run + 1} ${s === 'baseline' ? 'without profile' : 'with profile'}: ${seconds.toFixed(2)} s\n`),
  });
  for (const mode of ['sluice', 'sluice-unprofiled']) await rm(path.join(options.dataDir, `work-profile-cost-${mode}`), { recursive: true, force: true });
  const lines = [
    `\ningest with and without the data-quality profile: ${options.mb.toFixed(0)} MB CSV, interleaved, ${result.sluice.samples.length} runs per side`,
    formatSummaryHeader(),
    formatSummaryLine('ValidateAndPartition, quality.profile: false', result.baseline, 's'),
    formatSummaryLine('ValidateAndPartition, profiled and checked', result.sluice, 's'),
    `  CPU seconds (median run): without ${result.baselineDetail?.cpuSeconds.toFixed(1) ?? '?'}, with ${result.sluiceDetail?.cpuSeconds.toFixed(1) ?? '?'}`,
    `  profile overhead (ratio of medians - 1): ${((result.ratioOfMedians - 1) * 100).toFixed(1)}%  (target <= 20%)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
