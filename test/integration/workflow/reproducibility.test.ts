/**
 * Identical inputs give identical outputs: the same file run through the same pipeline in two fresh lakes writes the
 * same feature files and the same model archive, byte for byte. Row order matters because the spec subsamples
 * (`subsample` < 1: XGBoost draws rows by position), and thread counts matter because XGBoost's parallel sums round
 * differently on another count; so does the archive's metadata (tar mtime, gzip header).
 */
import { readFile } from 'node:fs/promises';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { freshLake, lakeFiles, lakePath, runOnContent } from '../../support/local-run.js';
import { signalCsv, signalPipeline } from '../../support/signal-pipeline.js';

/** Every file under `prefix` of `lake`, relative to the bucket, with its bytes. */
async function filesUnder(lake: string, prefix: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const key of await lakeFiles(lake, prefix)) files.set(key, await readFile(lakePath(lake, key)));
  return files;
}

describe('reproducibility', () => {
  describe('two identical runs', () => {
    it('writes byte-identical feature files and model archives when the same file is run twice in fresh lakes', async () => {
      // Prepare: no gate, so the model is registered and no endpoint starts
      const spec = await signalPipeline({
        training:
          '{ hyperparameters: { objective: "binary:logistic", eval_metric: auc, num_round: 40, max_depth: 4, eta: 0.2, subsample: 0.7, colsample_bytree: 0.8 } }',
      });
      const content = signalCsv(6_000, 7);
      const lakes = [await freshLake(), await freshLake()];

      // Act: one after the other, under the same execution name, so every key is the same in both lakes
      const runs: RunSummary[] = [];
      for (const lake of lakes) runs.push(await runOnContent(spec, lake, 'data.csv', content, 'signal-reproducibility'));

      // Assess
      expect(runs.map((run) => run.error)).toEqual([undefined, undefined]);
      const [features, otherFeatures] = await Promise.all(lakes.map((lake) => filesUnder(lake, 'features/signal/')));
      // Job names carry the run's start time (a re-run never collides with the job before it): compare the one archive
      const archives = await Promise.all(
        lakes.map(async (lake) => [...(await filesUnder(lake, 'models/signal/')).entries()].filter(([key]) => key.endsWith('/output/model.tar.gz'))),
      );
      expect(archives.map((found) => found.length)).toEqual([1, 1]);
      expect(features?.size).toBeGreaterThanOrEqual(2);
      expect([...(otherFeatures?.keys() ?? [])]).toEqual([...(features?.keys() ?? [])]);
      for (const [key, bytes] of features ?? []) expect({ key, same: otherFeatures?.get(key)?.equals(bytes) }).toEqual({ key, same: true });
      const [first, second] = archives.map((found) => found[0]?.[1] ?? Buffer.alloc(0));
      expect(first?.length).toBeGreaterThan(0);
      expect(first?.equals(second ?? Buffer.alloc(0))).toBe(true);
    });
  });
});
