/**
 * Paired, interleaved measurement for every bench: a baseline and the Sluice side run in turn (baseline, Sluice,
 * baseline, Sluice, …), so a machine that slows down during the bench slows both sides alike, and each side is
 * summarised by its min, median and max. The ratio compares medians.
 */

/** One side's samples and their summary. */
export interface SampleSummary {
  /** Every sample, in the order measured. */
  readonly samples: readonly number[];
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** What one measured run reports: the figure compared (lower is better unless stated), plus free-form details. */
export interface Measurement<Detail = unknown> {
  /** The compared figure, e.g. wall seconds. */
  readonly value: number;
  /** Anything else the bench prints (peak RSS, rows, metric…), from the last run of the side. */
  readonly detail?: Detail;
}

/** The outcome of {@link runPaired}. */
export interface PairedResult<BaselineDetail = unknown, SluiceDetail = unknown> {
  readonly baseline: SampleSummary;
  readonly sluice: SampleSummary;
  /** Details of each side's run with the median value. */
  readonly baselineDetail: BaselineDetail | undefined;
  readonly sluiceDetail: SluiceDetail | undefined;
  /** `sluice.median / baseline.median`. */
  readonly ratioOfMedians: number;
}

/** How {@link runPaired} runs the two sides. */
export interface PairedOptions<BaselineDetail, SluiceDetail> {
  /** Runs per side (at least 1). */
  readonly repeats: number;
  readonly baseline: () => Promise<Measurement<BaselineDetail>>;
  readonly sluice: () => Promise<Measurement<SluiceDetail>>;
  /** Called after each run, e.g. to print progress. */
  readonly onSample?: (side: 'baseline' | 'sluice', run: number, value: number) => void;
}

/** Summarises samples: min, median (mean of the middle two for an even count) and max. */
export function summarize(samples: readonly number[]): SampleSummary {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { samples: [...samples], min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
}

/** Runs baseline and Sluice alternately, `repeats` times each, and summarises both sides. */
export async function runPaired<BaselineDetail = unknown, SluiceDetail = unknown>(
  options: PairedOptions<BaselineDetail, SluiceDetail>,
): Promise<PairedResult<BaselineDetail, SluiceDetail>> {
  const repeats = Math.max(1, Math.floor(options.repeats));
  const baseline: Measurement<BaselineDetail>[] = [];
  const sluice: Measurement<SluiceDetail>[] = [];
  for (let run = 0; run < repeats; run++) {
    const b = await options.baseline();
    baseline.push(b);
    options.onSample?.('baseline', run, b.value);
    const s = await options.sluice();
    sluice.push(s);
    options.onSample?.('sluice', run, s.value);
  }
  const baselineSummary = summarize(baseline.map((m) => m.value));
  const sluiceSummary = summarize(sluice.map((m) => m.value));
  return {
    baseline: baselineSummary,
    sluice: sluiceSummary,
    baselineDetail: closestToMedian(baseline, baselineSummary.median)?.detail,
    sluiceDetail: closestToMedian(sluice, sluiceSummary.median)?.detail,
    ratioOfMedians: sluiceSummary.median / baselineSummary.median,
  };
}

function closestToMedian<D>(runs: readonly Measurement<D>[], median: number): Measurement<D> | undefined {
  return runs.reduce<Measurement<D> | undefined>((best, run) => (best === undefined || Math.abs(run.value - median) < Math.abs(best.value - median) ? run : best), undefined);
}

/** One line of a paired table: `label  min  median  max  unit`, numbers with `digits` decimals. */
export function formatSummaryLine(label: string, summary: SampleSummary, unit: string, digits = 2, labelWidth = 52): string {
  const n = (x: number): string => x.toFixed(digits).padStart(9);
  return `  ${label.padEnd(labelWidth)}${n(summary.min)}${n(summary.median)}${n(summary.max)}  ${unit}  (n=${summary.samples.length})`;
}

/** The header matching {@link formatSummaryLine}. */
export function formatSummaryHeader(labelWidth = 52): string {
  return `  ${''.padEnd(labelWidth)}${'min'.padStart(9)}${'median'.padStart(9)}${'max'.padStart(9)}`;
}
