import { performance } from 'node:perf_hooks';
import { trainXgboost } from '../../local/xgboost/train.js';
import type { TrainOptions, TrainRequest } from '../../local/xgboost/train.js';

/**
 * The Sluice side of the train bench, run in its own Node process so its peak RSS is its own. Arguments: a JSON
 * TrainRequest, and optionally JSON TrainOptions (`{"evaluateTrainEveryRound": true}` measures what evaluating the
 * train set every round costs). Prints one JSON line: wall time, the trainer's own timings, peak RSS, validation
 * AUC, rounds.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as TrainRequest;
  const options = JSON.parse(process.argv[3] ?? '{}') as Pick<TrainOptions, 'evaluateTrainEveryRound'>;
  const started = performance.now();
  const result = await trainXgboost(request, options);
  const wallMs = performance.now() - started;
  const metrics = result.validationMetrics;
  process.stdout.write(
    `${JSON.stringify({
      wallMs,
      loadMs: result.timings.readDataMs,
      trainMs: result.timings.trainMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      validationAuc: metrics?.kind === 'binary' ? metrics.auc : Number.NaN,
      finalValidationAuc: result.finalMetrics['validation:auc'],
      rounds: result.rounds,
      threads: result.threads,
      modelArtifact: result.modelArtifact,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
