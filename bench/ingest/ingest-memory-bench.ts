import { availableParallelism, loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { summarize } from '../support/paired-runs.js';
import type { IngestMeasurement } from './ingest-bench.js';
import { benchCsv, measureIngest } from './ingest-bench.js';

/**
 * Lambda prices and shape used by the model (deploy/lambda-memory.md cites the pages):
 * - 1,769 MB buys one vCPU's worth of CPU time per second, linearly, up to 10,240 MB and 6 vCPUs
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html,
 *   https://aws.amazon.com/blogs/aws/new-for-aws-lambda-functions-with-up-to-10-gb-of-memory-and-6-vcpus/);
 * - duration $0.0000166667 per GB-second on x86_64 (serverless.yml `architecture: x86_64`), $0.0000133334 on arm64,
 *   first tier, us-east-1 (https://aws.amazon.com/lambda/pricing/);
 * - ephemeral storage above the free 512 MB: $0.0000000309 per GB-second (same page).
 */
export const LAMBDA_MODEL = {
  mbPerVcpu: 1769,
  maxVcpus: 6,
  x86PricePerGbSecond: 0.0000166667,
  arm64PricePerGbSecond: 0.0000133334,
  ephemeralPricePerGbSecond: 0.0000000309,
  freeEphemeralMb: 512,
  timeoutSeconds: 900,
} as const;

/** One candidate size, measured and modelled. */
export interface MemoryCandidate {
  memoryMb: number;
  /** DuckDB settings the function derives from its size (core/config/runtime-config.ts). */
  threads: number;
  memoryLimit: string;
  /** CPU seconds per GB ingested, median of the runs: host-independent, what the Lambda's vCPUs must supply. */
  cpuSecondsPerGb: number;
  /** Wall seconds per GB measured here (this host's cores and load, not a Lambda's). */
  hostSecondsPerGb: number;
  peakRssMb: number;
  /** vCPUs' worth of CPU time the size buys, and the ones DuckDB's threads can use. */
  vcpus: number;
  /** Modelled Lambda seconds per GB: CPU seconds over the vCPUs the threads can use. */
  lambdaSecondsPerGb: number;
  /** Modelled cost per GB ingested, duration (x86_64) plus ephemeral storage. */
  dollarsPerGb: number;
  /** Largest file (GB) the model finishes inside Lambda's 15 minutes. */
  maxGbIn15Minutes: number;
}

/** The modelled cost of one size from its measured CPU seconds per GB. */
export function modelCandidate(
  measured: Pick<MemoryCandidate, 'memoryMb' | 'threads' | 'memoryLimit' | 'cpuSecondsPerGb' | 'hostSecondsPerGb' | 'peakRssMb'>,
  ephemeralMb: number,
): MemoryCandidate {
  const vcpus = Math.min(LAMBDA_MODEL.maxVcpus, measured.memoryMb / LAMBDA_MODEL.mbPerVcpu);
  // DuckDB cannot use more CPU than its threads, nor more than the size buys.
  const usable = Math.min(vcpus, measured.threads);
  const lambdaSecondsPerGb = measured.cpuSecondsPerGb / usable;
  const durationPerGb = (measured.memoryMb / 1024) * lambdaSecondsPerGb * LAMBDA_MODEL.x86PricePerGbSecond;
  const storagePerGb = (Math.max(0, ephemeralMb - LAMBDA_MODEL.freeEphemeralMb) / 1024) * lambdaSecondsPerGb * LAMBDA_MODEL.ephemeralPricePerGbSecond;
  return { ...measured, vcpus, lambdaSecondsPerGb, dollarsPerGb: durationPerGb + storagePerGb, maxGbIn15Minutes: LAMBDA_MODEL.timeoutSeconds / lambdaSecondsPerGb };
}

/**
 * `npm run bench -- ingest-memory [--mb 1000] [--sizes 1769,3008,…] [--repeats 1] [--ephemeral 10240]`: runs the real
 * ValidateAndPartition on the churn CSV once per candidate Lambda size, with the DuckDB threads and memory limit that
 * size gets in Lambda (core/config/runtime-config.ts), each in a fresh process; records CPU seconds, wall seconds and
 * peak RSS, and models each size's Lambda seconds and cost per GB ingested (deploy/lambda-memory.md).
 */
export async function runIngestMemoryBench(options: { bytes: number; dataDir: string; repeats: number; sizes: readonly number[]; ephemeralMb: number }): Promise<MemoryCandidate[]> {
  const { csv, mb } = await benchCsv(options.dataDir, options.bytes);
  const gb = mb / 1000;
  const workDir = path.join(options.dataDir, 'work-memory');
  const candidates: MemoryCandidate[] = [];
  process.stdout.write(`host: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1) ?? '?'} at start\n`);
  for (const memoryMb of options.sizes) {
    const { duckdb } = loadRuntimeConfig({ LAKE_BUCKET: 'bench-lake', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb) });
    const runs: IngestMeasurement[] = [];
    for (let run = 0; run < Math.max(1, options.repeats); run++) {
      runs.push(await measureIngest('sluice', csv, workDir, duckdb));
      process.stdout.write(`  ${memoryMb} MB (DuckDB ${duckdb.threads} threads, ${duckdb.memoryLimit}) run ${run + 1}: ${JSON.stringify(runs.at(-1))}\n`);
    }
    candidates.push(
      modelCandidate(
        {
          memoryMb,
          threads: duckdb.threads,
          memoryLimit: duckdb.memoryLimit,
          cpuSecondsPerGb: summarize(runs.map((r) => r.cpuSeconds)).median / gb,
          hostSecondsPerGb: summarize(runs.map((r) => r.ms / 1000)).median / gb,
          peakRssMb: summarize(runs.map((r) => r.peakRssMb)).max,
        },
        options.ephemeralMb,
      ),
    );
  }
  await rm(workDir, { recursive: true, force: true });
  process.stdout.write(`\ningest-memory: ${mb.toFixed(0)} MB CSV, ${options.repeats} run(s) per size, load average ${loadavg()[0]?.toFixed(1) ?? '?'} at end\n`);
  process.stdout.write(`${formatCandidates(candidates)}\n`);
  return candidates;
}

/** The table deploy/lambda-memory.md shows. */
export function formatCandidates(candidates: readonly MemoryCandidate[]): string {
  const header = '| Lambda MB | DuckDB threads / memory_limit | CPU s per GB | host wall s per GB | peak RSS MB | vCPUs | Lambda s per GB (model) | $ per GB (x86) | GB in 15 min |';
  const rows = candidates.map(
    (c) =>
      `| ${c.memoryMb} | ${c.threads} / ${c.memoryLimit} | ${c.cpuSecondsPerGb.toFixed(1)} | ${c.hostSecondsPerGb.toFixed(1)} | ${c.peakRssMb.toFixed(0)} | ${c.vcpus.toFixed(2)} | ${c.lambdaSecondsPerGb.toFixed(1)} | ${c.dollarsPerGb.toFixed(5)} | ${c.maxGbIn15Minutes.toFixed(1)} |`,
  );
  return [header, '| --- | --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
