import path from 'node:path';
import { runFeaturesBench } from './features/features-bench.js';
import { runIngestBench } from './ingest/ingest-bench.js';
import { runServeBench } from './serve/serve-bench.js';
import { formatTrainBench, runTrainBench } from './train/train-bench.js';

const BENCHES: Record<string, (args: readonly string[]) => Promise<void>> = {
  ingest: (args) =>
    runIngestBench({
      bytes: Number(flag(args, '--mb') ?? 1000) * 1e6,
      dataDir: path.resolve(flag(args, '--data') ?? 'bench-data'),
      repeats: Number(flag(args, '--repeats') ?? 2),
    }),
  features: (args) =>
    runFeaturesBench({
      rows: Number(flag(args, '--rows') ?? 10_000_000),
      dataDir: path.resolve(flag(args, '--data') ?? 'bench-data'),
    }),
  train: async (args) => {
    const result = await runTrainBench({
      rows: Number(flag(args, '--rows') ?? 1_000_000),
      features: Number(flag(args, '--features') ?? 20),
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/train'),
    });
    console.log(formatTrainBench(result));
  },
  serve: async (args) => {
    await runServeBench({
      workDir: path.resolve(flag(args, '--data') ?? 'bench-data/serve'),
      durationSeconds: Number(flag(args, '--seconds') ?? 10),
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
