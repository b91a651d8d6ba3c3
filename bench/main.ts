import path from 'node:path';
import { runConsoleBench } from './console/console-bench.js';
import { runE2eBench } from './e2e/e2e-bench.js';
import { runFeaturesBench } from './features/features-bench.js';
import { runIngestBench } from './ingest/ingest-bench.js';
import { runIngestMemoryBench } from './ingest/ingest-memory-bench.js';
import { runServeBench } from './serve/serve-bench.js';
import { runScoreBatchBench } from './score-batch.js';
import { runScoreEndpointBench } from './score-endpoint.js';
import { formatTextBench, runTextBench } from './text/text-bench.js';
import { formatTrainBench, runTrainBench } from './train/train-bench.js';

const BENCHES: Record<string, (args: readonly string[]) => Promise<void>> = {
  // Issue 14: the console's page load on a lake with 100 runs (one real run, 99 clones), and the run report's size.
  console: async (args) => {
    await runConsoleBench({
      projectRoot: path.resolve(__dirname, '..', '..'),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/console'),
      runs: Number(flag(args, '--runs') ?? 100),
      repeats: Number(flag(args, '--repeats') ?? 5),
      batch: Number(flag(args, '--batch') ?? 10),
      browserLoads: Number(flag(args, '--loads') ?? 5),
    });
  },
  ingest: (args) =>
    runIngestBench({
      bytes: Number(flag(args, '--mb') ?? 1000) * 1e6,
      dataDir: path.resolve(flag(args, '--data') ?? 'bench-data'),
      repeats: Number(flag(args, '--repeats') ?? 3),
    }),
  'ingest-memory': async (args) => {
    await runIngestMemoryBench({
      bytes: Number(flag(args, '--mb') ?? 1000) * 1e6,
      dataDir: path.resolve(flag(args, '--data') ?? 'bench-data'),
      repeats: Number(flag(args, '--repeats') ?? 1),
      sizes: (flag(args, '--sizes') ?? '1769,3008,3538,5307,7076,10240').split(',').map(Number),
      ephemeralMb: Number(flag(args, '--ephemeral') ?? 10240),
    });
  },
  features: (args) =>
    runFeaturesBench({
      rows: Number(flag(args, '--rows') ?? 10_000_000),
      dataDir: path.resolve(flag(args, '--data') ?? 'bench-data'),
      repeats: Number(flag(args, '--repeats') ?? 3),
    }),
  train: async (args) => {
    const result = await runTrainBench({
      rows: Number(flag(args, '--rows') ?? 1_000_000),
      features: Number(flag(args, '--features') ?? 20),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/train'),
      repeats: Number(flag(args, '--repeats') ?? 3),
      trials: Number(flag(args, '--trials') ?? 8),
      onSample: (side, run, value) => console.error(`train: ${side} run ${run + 1}: ${value.toFixed(2)} s`),
    });
    console.log(formatTrainBench(result));
  },
  e2e: async (args) => {
    await runE2eBench({
      projectRoot: path.resolve(__dirname, '..', '..'),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/e2e'),
      repeats: Number(flag(args, '--repeats') ?? 3),
    });
  },
  text: async (args) => {
    const result = await runTextBench({
      root: path.resolve(__dirname, '..', '..'),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/text'),
      repeats: Number(flag(args, '--repeats') ?? 3),
      threads: Number(flag(args, '--threads') ?? 1),
      predictions: Number(flag(args, '--predictions') ?? 2000),
    });
    console.log(formatTextBench(result));
  },
  serve: async (args) => {
    await runServeBench({
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/serve'),
      durationSeconds: Number(flag(args, '--seconds') ?? 5),
      repeats: Number(flag(args, '--repeats') ?? 3),
    });
  },
  // Issue 12: `--part batch|endpoint` runs one half, both by default. Batch: raw-file scoring against in-process
  // prediction of the featurized rows (bench/score-batch.ts); endpoint: raw-record single-row requests against
  // featurized ones (bench/score-endpoint.ts).
  score: async (args) => {
    const part = flag(args, '--part');
    if (part !== undefined && part !== 'batch' && part !== 'endpoint') throw new Error(`score: --part is batch or endpoint, not "${part}"`);
    if (part !== 'endpoint') {
      await runScoreBatchBench({
        root: path.resolve(__dirname, '..', '..'),
        workDir: path.resolve(flag(args, '--data') ?? 'bench-data/score', 'batch'),
        rows: Number(flag(args, '--rows') ?? 1_000_000),
        repeats: Number(flag(args, '--repeats') ?? 3),
      });
    }
    if (part === 'batch') return;
    await runScoreEndpointBench({
      root: path.resolve(__dirname, '..', '..'),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/score'),
      durationSeconds: Number(flag(args, '--seconds') ?? 5),
      repeats: Number(flag(args, '--repeats') ?? 3),
    });
  },
};

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `npm run bench -- NAME [options]`: runs one benchmark, or all of them in turn. */
async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const chosen = name ? [name] : Object.keys(BENCHES);
  for (const bench of chosen) {
    const run = BENCHES[bench];
    if (!run) throw new Error(`unknown bench "${bench}"; choose from ${Object.keys(BENCHES).join(', ')}`);
    await run(args);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
