import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { stopChild } from '../support/stop-child.js';
import { formatSummaryHeader, formatSummaryLine, summarize } from '../support/paired-runs.js';
import type { SampleSummary } from '../support/paired-runs.js';

/** Options of {@link runConsoleBench}. */
export interface ConsoleBenchOptions {
  /** The Sluice project (its bin/sluice.js and dist/ are run, as a user runs them). */
  readonly projectRoot: string;
  /** Where the pipeline copy and the lake go; emptied first. */
  readonly workDir: string;
  /** Runs in the lake: one real run, the rest its clones (default 100). */
  readonly runs?: number;
  /** Rounds of requests; each round asks every page `batch` times in turn (default 5). */
  readonly repeats?: number;
  /** Requests per page per round: the server's CPU time is read per batch (default 10). */
  readonly batch?: number;
  /** Chromium page loads per page (default 5); 0 skips the browser. */
  readonly browserLoads?: number;
}

/** One page's figures. */
export interface PageFigures {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  /** Time to the last byte of the answer, as the client sees it (ms, wall clock). */
  readonly responseMs: SampleSummary;
  /** The console process's user+sys CPU time per request (ms), per batch. */
  readonly serverCpuMs: SampleSummary;
  /** Chromium's navigation start to load event end (ms), charts drawn (they draw before `load`). */
  readonly browserLoadMs?: SampleSummary;
}

/** Debian's Chromium, as the console's browser test uses it. */
const CHROMIUM = '/usr/bin/chromium';
/** The flags the console test launches headless Chromium with, as root on a closed network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** A hang guard for one request, not a pace. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * `npm run bench -- console`: the console's page load on a lake with 100 runs (issue 14's closing note).
 *
 * 1. One real local run of churn (3 tuning trials of 40 rounds, deployed) through bin/sluice.js, then its endpoint stopped.
 * 2. Its manifest, report, step journal and registry record cloned to `runs - 1` more runs with new ids and versions
 *    (every fifth approved, the others rejected): the pipelines and runs page lists 100 runs, the model page plots 100
 *    versions. The clones point at the real run's feature sets and quarantine file, so a clone's run page reads what
 *    the real one reads.
 * 3. `sluice console --lake LAKE --port 0` in a child process; its URL read from its first line; stopped by pid at the
 *    end, whatever happened.
 * 4. Rounds of requests, the pages in turn within each round (interleaved, so a machine that slows down slows every
 *    page alike): time to last byte per request, and the console's own CPU time (user+sys from /proc/<pid>/stat) per
 *    batch. Baselines in the same rounds and the same server: two static files it streams from disk, the run's
 *    report (`/reports/...html`) and Chart.js (`/assets/chart.js`).
 * 5. Chromium's full load (navigation start to the load event, Chart.js parsed and the charts drawn) per page, when
 *    /usr/bin/chromium and playwright-core are present.
 */
export async function runConsoleBench(options: ConsoleBenchOptions): Promise<PageFigures[]> {
  const runs = Math.max(1, options.runs ?? 100);
  const repeats = Math.max(1, options.repeats ?? 5);
  const batch = Math.max(1, options.batch ?? 10);
  const bin = path.join(options.projectRoot, 'bin', 'sluice.js');
  await rm(options.workDir, { recursive: true, force: true });
  await mkdir(options.workDir, { recursive: true });
  const lake = path.join(options.workDir, 'lake');

  console.error('console bench: one real churn run (tuned, 3 trials) ...');
  const pipelineDir = await smallChurn(options.projectRoot, options.workDir);
  const data = path.join(options.projectRoot, 'pipelines', 'churn', 'data', 'telco_churn.csv');
  const summary = await runChild(bin, ['run', data, '--pipeline', pipelineDir, '--lake', lake, '--json'], options.workDir);
  await runChild(bin, ['stop', '--all', '--lake', lake], options.workDir);
  const real = JSON.parse(summary) as { runId: string; status: string; pipeline?: string };
  if (real.status !== 'SUCCEEDED') throw new Error(`console bench: the real run ended ${real.status}`);
  const clones = await cloneRuns(lake, 'churn', real.runId, runs - 1);
  const reportFile = path.join(lake, 'lake', 'runs', 'churn', `${real.runId}.html`);
  const reportBytes = (await stat(reportFile)).size;
  console.error(`console bench: lake with ${runs} runs (1 real, ${clones.length} cloned) in ${lake}`);

  const pages = [
    { name: 'pipelines + runs (/)', path: '/' },
    { name: 'runs of churn (/?pipeline=churn)', path: '/?pipeline=churn' },
    { name: 'run (real run)', path: `/runs/churn/${real.runId}` },
    { name: 'run (a clone)', path: `/runs/churn/${clones.at(-1) ?? real.runId}` },
    { name: 'model (/models/churn, 100 versions)', path: '/models/churn' },
    { name: 'baseline: static report file', path: `/reports/churn/${real.runId}.html` },
    { name: 'baseline: static chart.js', path: '/assets/chart.js' },
  ];
  const child = spawn(process.execPath, [bin, 'console', '--lake', lake, '--port', '0'], { cwd: options.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await consoleUrl(child);
    const pid = child.pid ?? 0;
    const ticks = await clockTicks();
    const response = new Map<string, number[]>(pages.map((p) => [p.path, []]));
    const cpu = new Map<string, number[]>(pages.map((p) => [p.path, []]));
    const bytes = new Map<string, number>();
    // One warm-up request per page: module loading and first reads are not page load.
    for (const page of pages) bytes.set(page.path, (await fetchPage(`${url}${page.path}`)).bytes);
    for (let round = 0; round < repeats; round += 1) {
      for (const page of pages) {
        const before = await cpuTicks(pid);
        for (let i = 0; i < batch; i += 1) response.get(page.path)?.push((await fetchPage(`${url}${page.path}`)).ms);
        cpu.get(page.path)?.push((((await cpuTicks(pid)) - before) * 1000) / ticks / batch);
      }
      console.error(`console bench: round ${round + 1}/${repeats} done`);
    }
    const browser = options.browserLoads ?? 5;
    const loads = browser > 0 ? await browserLoads(url, pages.slice(0, 5), browser) : undefined;
    const figures: PageFigures[] = pages.map((p) => {
      const load = loads?.get(p.path);
      return {
        name: p.name,
        path: p.path,
        bytes: bytes.get(p.path) ?? 0,
        responseMs: summarize(response.get(p.path) ?? []),
        serverCpuMs: summarize(cpu.get(p.path) ?? []),
        ...(load && load.length > 0 ? { browserLoadMs: summarize(load) } : {}),
      };
    });
    console.log(formatConsoleBench(figures, { runs, reportBytes, repeats, batch, browser: loads !== undefined }));
    return figures;
  } finally {
    await stopChild(child);
  }
}

/** The bench's table: response time, the server's CPU time per request, Chromium's full load, the report's size. */
export function formatConsoleBench(figures: readonly PageFigures[], about: { runs: number; reportBytes: number; repeats: number; batch: number; browser: boolean }): string {
  const lines = [
    `\nconsole bench: \`sluice console\` on a lake with ${about.runs} runs; ${about.repeats} rounds x ${about.batch} requests per page, pages interleaved`,
    '\nserver response, time to last byte at the client (wall clock, ms):',
    formatSummaryHeader(),
    ...figures.map((f) => `${formatSummaryLine(f.name, f.responseMs, 'ms')}  ${(f.bytes / 1024).toFixed(1)} KB`),
    '\nconsole process CPU time (user+sys) per request, per batch (ms; /proc tick resolution):',
    formatSummaryHeader(),
    ...figures.map((f) => formatSummaryLine(f.name, f.serverCpuMs, 'ms')),
  ];
  if (about.browser) {
    lines.push('\nChromium full load, navigation start to load event (wall clock, ms):', formatSummaryHeader());
    for (const f of figures) if (f.browserLoadMs) lines.push(formatSummaryLine(f.name, f.browserLoadMs, 'ms'));
  } else {
    lines.push('\nChromium full load: skipped (no /usr/bin/chromium or playwright-core)');
  }
  lines.push(`\nrun report (runs/churn/<runId>.html, Chart.js inline): ${(about.reportBytes / 1024).toFixed(1)} KB`);
  return lines.join('\n');
}

/** pipelines/churn copied with a 3-trial tuning job of 40 rounds, as the console's browser test makes it. */
async function smallChurn(projectRoot: string, workDir: string): Promise<string> {
  const source = path.join(projectRoot, 'pipelines', 'churn');
  const dir = path.join(workDir, 'churn');
  await mkdir(dir, { recursive: true });
  for (const file of await readdir(source)) if (file.endsWith('.sql')) await copyFile(path.join(source, file), path.join(dir, file));
  const document = parseDocument(await readFile(path.join(source, 'pipeline.yml'), 'utf8'));
  document.setIn(['tuning', 'maxJobs'], 3);
  document.setIn(['training', 'hyperparameters', 'num_round'], 40);
  await writeFile(path.join(dir, 'pipeline.yml'), String(document));
  return dir;
}

/**
 * Clones the real run `count` times: manifest (new id, start shifted back an hour per clone, candidate version), report,
 * step journal and registry record (version 2, 3, ...; every fifth approved). Returns the clones' run ids.
 */
async function cloneRuns(lake: string, pipeline: string, runId: string, count: number): Promise<string[]> {
  const bucket = path.join(lake, 'lake');
  const runsDir = path.join(bucket, 'runs', pipeline);
  const manifest = JSON.parse(await readFile(path.join(runsDir, `${runId}.json`), 'utf8')) as Record<string, unknown> & { startedAt: string; finishedAt: string; stages: Record<string, unknown> };
  const report = await readFile(path.join(runsDir, `${runId}.html`), 'utf8');
  const journals = (await readdir(path.join(lake, 'logs')).catch(() => [] as string[])).filter((f) => f.startsWith(runId));
  const registryDir = path.join(bucket, 'registry', pipeline);
  const record = JSON.parse(await readFile(path.join(registryDir, 'v000001.json'), 'utf8')) as Record<string, unknown> & { metrics: Record<string, number> };
  const ids: string[] = [];
  for (let i = 1; i <= count; i += 1) {
    const id = `${pipeline}-clone${String(i).padStart(4, '0')}-${runId.slice(-6)}`;
    const version = i + 1;
    const shift = (iso: string) => new Date(Date.parse(iso) - i * 3_600_000).toISOString();
    const evaluation = manifest.stages['evaluation'] as { candidate?: Record<string, unknown> } | undefined;
    const stages = evaluation?.candidate ? { ...manifest.stages, evaluation: { ...evaluation, candidate: { ...evaluation.candidate, version, runId: id } } } : manifest.stages;
    const clone = { ...manifest, runId: id, startedAt: shift(manifest.startedAt), finishedAt: shift(manifest.finishedAt), stages };
    await writeFile(path.join(runsDir, `${id}.json`), JSON.stringify(clone, null, 2));
    await writeFile(path.join(runsDir, `${id}.html`), report.split(runId).join(id));
    for (const journal of journals) {
      const text = await readFile(path.join(lake, 'logs', journal), 'utf8');
      await writeFile(path.join(lake, 'logs', journal.replace(runId, id)), text.split(runId).join(id));
    }
    const metrics = Object.fromEntries(Object.entries(record.metrics).map(([k, v]) => [k, v - 0.0005 * (i % 7)]));
    const versionRecord = { ...record, version, id: `local:${pipeline}/${version}`, runId: id, metrics, status: i % 5 === 0 ? 'Approved' : 'Rejected' };
    await writeFile(path.join(registryDir, `v${String(version).padStart(6, '0')}.json`), JSON.stringify(versionRecord, null, 2));
    ids.push(id);
  }
  return ids;
}

/** Runs `node bin/sluice.js ARGS` to its end and returns its stdout; fails with its stderr on a non-zero exit. */
function runChild(bin: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`sluice ${args[0] ?? ''} exited ${String(code)}:\n${stderr.slice(-2000)}`))));
  });
}

/** The console's URL, from the line it prints once it listens; fails if it exits first. */
function consoleUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sluice console exited ${String(code)} before listening:\n${stderr.slice(-2000)}`)));
  });
}

/** One GET to its last byte: wall milliseconds and the body's bytes; a status other than 200 fails. */
function fetchPage(url: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const request = get(url, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.once('end', () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${url}: ${String(response.statusCode)}`));
        else resolve({ ms: performance.now() - start, bytes });
      });
      response.once('error', reject);
    });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`GET ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    request.once('error', reject);
  });
}

/** A process's user+sys CPU time in clock ticks (fields 14 and 15 of /proc/<pid>/stat, proc(5)). */
async function cpuTicks(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when getconf is absent). */
async function clockTicks(): Promise<number> {
  try {
    return Number((await runProcess('getconf', ['CLK_TCK'])).trim()) || 100;
  } catch {
    return 100;
  }
}

function runProcess(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${String(code)}`))));
  });
}

/**
 * Chromium's full load of each page, `loads` times, pages interleaved: navigation start to the load event end, from the
 * page's own Navigation Timing entry. Undefined when Chromium or playwright-core is absent.
 */
async function browserLoads(url: string, pages: readonly { path: string }[], loads: number): Promise<Map<string, number[]> | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return undefined;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const times = new Map<string, number[]>(pages.map((p) => [p.path, []]));
    // A warm-up pass: the browser's first start of each page's scripts is not the page's load.
    for (const p of pages) await page.goto(`${url}${p.path}`, { waitUntil: 'load' });
    for (let i = 0; i < loads; i += 1) {
      for (const p of pages) {
        await page.goto(`${url}${p.path}`, { waitUntil: 'load' });
        // Runs in the page (this file has no DOM types): the navigation entry's load event end, from navigation start.
        const ms = await page.evaluate<number>(
          '(() => { const n = performance.getEntriesByType("navigation")[0]; return n && n.loadEventEnd > 0 ? n.loadEventEnd - n.startTime : -1; })()',
        );
        if (ms >= 0) times.get(p.path)?.push(ms);
      }
    }
    return times;
  } finally {
    await browser.close();
  }
}
