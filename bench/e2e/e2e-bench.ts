import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { endedChildrenCpuSeconds } from '../support/children-cpu.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';
import type { PairedResult } from '../support/paired-runs.js';

/** Options of {@link runE2eBench}. */
export interface E2eBenchOptions {
  /** The Sluice project (its bin/sluice.js and dist/ are run, as a user runs them). */
  readonly projectRoot: string;
  /** Where the data, the pipeline folders and each run's fresh lake go. */
  readonly workDir: string;
  /** Runs per side and scenario (default 3). */
  readonly repeats?: number;
  /** Rows of the churn file (default 10,000). */
  readonly rows?: number;
}

/** One scenario's paired figures (wall seconds of a whole process, spawn to exit). */
export interface E2eScenario {
  readonly name: string;
  readonly hog: boolean;
  readonly targetSeconds: number;
  readonly result: PairedResult<undefined, RunDetail>;
  /**
   * CPU seconds (user + system) of each Sluice run: its process and the children it waited for (the training worker is
   * a thread of the process; the endpoint server it leaves running is not counted). Less noisy than wall time on a
   * shared machine. Empty where /proc is missing.
   */
  readonly cpuSeconds: readonly number[];
}

/** What one Sluice run reported. */
export interface RunDetail {
  readonly status: string;
  readonly decision: string;
  /** The run's own duration (`durationMs` of its summary), without process start and module loading. */
  readonly runSeconds: number;
  /** CPU seconds of the run's process and the children it waited for, when /proc tells. */
  readonly cpuSeconds?: number;
}

/** Boosting rounds of the untuned run: test/fixtures/untuned-churn.ts's choice (clears the gate's AUC 0.75). */
const UNTUNED_ROUNDS = 20;
const TUNED_TRIALS = 8;

/**
 * The churn rows cycled to `rows` data rows (the sample has 7,043): the same columns, values and signal, so the
 * run trains a model that clears the gate and deploys it, as a user's larger export would.
 */
async function churnFile(projectRoot: string, workDir: string, rows: number): Promise<string> {
  const text = await readFile(path.join(projectRoot, 'pipelines', 'churn', 'data', 'telco_churn.csv'), 'utf8');
  const [header = '', ...body] = text.trimEnd().split('\n');
  const lines = Array.from({ length: rows }, (_, i) => body[i % body.length] ?? '');
  const file = path.join(workDir, `churn-${rows}.csv`);
  await writeFile(file, `${header}\n${lines.join('\n')}\n`);
  return file;
}

/** A copy of pipelines/churn (spec and features.sql) with `edit` applied to its pipeline.yml. */
async function churnVariant(projectRoot: string, workDir: string, name: string, edit: (document: ReturnType<typeof parseDocument>) => void): Promise<string> {
  const source = path.join(projectRoot, 'pipelines', 'churn');
  const dir = path.join(workDir, name);
  await mkdir(dir, { recursive: true });
  const document = parseDocument(await readFile(path.join(source, 'pipeline.yml'), 'utf8'));
  edit(document);
  await writeFile(path.join(dir, 'pipeline.yml'), String(document));
  await copyFile(path.join(source, 'features.sql'), path.join(dir, 'features.sql'));
  return dir;
}

/**
 * Runs a process to its end; resolves with its wall time in seconds, its CPU seconds (it and the children it waited
 * for; one process at a time runs under this bench, so the change of this process's ended-children CPU is its) and its
 * stdout.
 */
function timed(args: readonly string[], cwd: string): Promise<{ seconds: number; cpuSeconds: number | undefined; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cpuBefore = endedChildrenCpuSeconds();
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const cpuAfter = endedChildrenCpuSeconds();
      const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      resolve({ seconds: (performance.now() - started) / 1000, cpuSeconds, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/**
 * One `sluice run` through the real CLI entry in a child process, on a fresh lake; the endpoint it starts is stopped
 * (that lake's only) and the lake removed afterwards, outside the measured time.
 */
async function sluiceRun(options: E2eBenchOptions, file: string, pipelineDir: string): Promise<{ value: number; detail: RunDetail }> {
  const bin = path.join(options.projectRoot, 'bin', 'sluice.js');
  const lake = await mkdtemp(path.join(options.workDir, 'lake-'));
  try {
    const run = await timed([bin, 'run', file, '--pipeline', pipelineDir, '--lake', lake, '--json'], options.workDir);
    let summary: { status?: string; model?: { decision?: string }; durationMs?: number; error?: { name: string; message: string; state: string } };
    try {
      summary = JSON.parse(run.stdout) as typeof summary;
    } catch {
      throw new Error(`sluice run printed no summary (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
    }
    if (summary.status !== 'SUCCEEDED') {
      throw new Error(`sluice run ${summary.status ?? '?'} in ${summary.error?.state ?? '?'}: ${summary.error?.name ?? ''} ${summary.error?.message ?? ''}`);
    }
    return {
      value: run.seconds,
      detail: {
        status: summary.status,
        decision: summary.model?.decision ?? 'no model',
        runSeconds: (summary.durationMs ?? 0) / 1000,
        ...(run.cpuSeconds === undefined ? {} : { cpuSeconds: run.cpuSeconds }),
      },
    };
  } finally {
    // `stop` returns once the server's process is gone, so the next measured run does not share the CPU with its exit.
    await timed([bin, 'stop', '--all', '--lake', lake], options.workDir);
    await rm(lake, { recursive: true, force: true });
  }
}

/** Two busy loops, one per core, until stopped (by their pids). */
function startHogs(count: number): { stop(): Promise<void> } {
  const hogs: ChildProcess[] = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return {
    stop: async () => {
      await Promise.all(
        hogs.map(
          (hog) =>
            new Promise<void>((resolve) => {
              if (hog.exitCode !== null || hog.signalCode !== null) resolve();
              else {
                hog.once('exit', () => resolve());
                if (hog.pid !== undefined) process.kill(hog.pid, 'SIGKILL');
              }
            }),
        ),
      );
    },
  };
}

/**
 * End-to-end wall time of a local run, as a user sees it: `node bin/sluice.js run FILE --pipeline DIR --json` in a
 * child process, from spawn to exit, on a fresh lake each time. Two runs, an untuned 10,000-row churn (one 20-round
 * training job) and a tuned one (8 trials), each on a quiet machine and with a CPU hog on both cores (two busy-loop
 * processes). The baseline is a bare `node -e ''` measured the same way: the floor any Node command pays, and a
 * probe of how loaded the machine is at that moment. Baseline and Sluice runs alternate (paired-runs.ts).
 */
export async function runE2eBench(options: E2eBenchOptions): Promise<E2eScenario[]> {
  const repeats = options.repeats ?? 3;
  await mkdir(options.workDir, { recursive: true });
  const file = await churnFile(options.projectRoot, options.workDir, options.rows ?? 10_000);
  const untuned = await churnVariant(options.projectRoot, options.workDir, 'churn-untuned', (document) => {
    document.setIn(['tuning', 'enabled'], false);
    document.setIn(['training', 'hyperparameters', 'num_round'], UNTUNED_ROUNDS);
  });
  const tuned = await churnVariant(options.projectRoot, options.workDir, 'churn-tuned', (document) => {
    document.setIn(['tuning', 'enabled'], true);
    document.setIn(['tuning', 'maxJobs'], TUNED_TRIALS);
  });
  const bare = async (): Promise<{ value: number }> => ({ value: (await timed(['-e', ''], options.workDir)).seconds });
  // Validation is recorded once per definition version (local/runtime/validated-machine.ts): a user's second run
  // finds the record, and so does every measured run here after this warm-up, which also fills the OS file cache.
  await sluiceRun(options, file, untuned);

  const plan = [
    { name: `untuned churn, ${options.rows ?? 10_000} rows`, dir: untuned, hog: false, targetSeconds: 2 },
    { name: `untuned churn, ${options.rows ?? 10_000} rows, CPU hog x${cpus().length}`, dir: untuned, hog: true, targetSeconds: 4 },
    { name: `tuned churn (${TUNED_TRIALS} trials)`, dir: tuned, hog: false, targetSeconds: 4 },
    { name: `tuned churn (${TUNED_TRIALS} trials), CPU hog x${cpus().length}`, dir: tuned, hog: true, targetSeconds: 8 },
  ];
  const loadBefore = loadavg()[0] ?? 0;
  const scenarios: E2eScenario[] = [];
  for (const step of plan) {
    const hogs = step.hog ? startHogs(cpus().length) : undefined;
    const cpuSeconds: number[] = [];
    try {
      const result = await runPaired<undefined, RunDetail>({
        repeats,
        baseline: bare,
        sluice: async () => {
          const run = await sluiceRun(options, file, step.dir);
          if (run.detail.cpuSeconds !== undefined) cpuSeconds.push(run.detail.cpuSeconds);
          return run;
        },
        onSample: (side, run, value) => process.stderr.write(`  ${step.name}: ${side} #${run + 1} ${value.toFixed(2)} s\n`),
      });
      scenarios.push({ name: step.name, hog: step.hog, targetSeconds: step.targetSeconds, result, cpuSeconds });
    } finally {
      await hogs?.stop();
    }
  }
  printE2e(scenarios, repeats, loadBefore);
  return scenarios;
}

function printE2e(scenarios: readonly E2eScenario[], repeats: number, loadBefore: number): void {
  console.log(
    `\ne2e bench: \`sluice run\` through bin/sluice.js in a child process, fresh lake each run, endpoint stopped after; ` +
      `${repeats} runs per side, baseline and Sluice alternating; ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before`,
  );
  console.log(`${formatSummaryHeader()}   target`);
  for (const scenario of scenarios) {
    const { result } = scenario;
    const met = result.sluice.median <= scenario.targetSeconds ? 'met' : 'NOT met';
    console.log(formatSummaryLine(`${scenario.name}: sluice run`, result.sluice, 's') + `   <= ${scenario.targetSeconds} s median: ${met}`);
    console.log(formatSummaryLine(`${scenario.name}: node -e '' (baseline)`, result.baseline, 's'));
    const detail = result.sluiceDetail;
    console.log(
      `    ratio of medians ${result.ratioOfMedians.toFixed(1)}x the bare start; median run's own time ${detail?.runSeconds.toFixed(2) ?? '?'} s, ` +
        `model ${detail?.decision ?? '?'}`,
    );
    if (scenario.cpuSeconds.length > 0) console.log(formatSummaryLine(`${scenario.name}: CPU, process + children`, summarize(scenario.cpuSeconds), 's'));
  }
  for (const [quiet, hog] of [
    [scenarios[0], scenarios[1]],
    [scenarios[2], scenarios[3]],
  ] as const) {
    if (quiet === undefined || hog === undefined) continue;
    const slowdown = hog.result.sluice.median / quiet.result.sluice.median;
    console.log(`  ${hog.name}: ${slowdown.toFixed(2)}x the quiet median (target <= 2x): ${slowdown <= 2 ? 'met' : 'NOT met'}`);
  }
}
