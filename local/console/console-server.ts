import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapeHtml, formatNumber, table } from '../../core/report/html.js';
import { CHART_BOOT, REPORT_STYLE, renderModelBody, renderRunBody } from '../../core/report/render.js';
import { loadRunView, modelView } from '../../core/report/run-view.js';
import type { LakeReader } from '../../core/report/run-view.js';
import { formatDuration, renderWorkflowSvg } from '../../core/report/workflow-graph.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import { LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { bucketDir, endpointOf, lakeStamp, listPipelines, listRuns, readManifest } from './lake-index.js';
import type { RunRow } from './lake-index.js';
import { chartLibraryPath, localReportSources } from './local-report-sources.js';
import { readStepJournal } from './step-journal.js';

/** How the console starts. */
export interface ConsoleOptions {
  /** The local lake (`--lake`, default ./sluice-lake). */
  readonly lakeRoot: string;
  /** Port on 127.0.0.1 (0: a free one). */
  readonly port: number;
  /** Sluice's own folder: the workflow definition the graph is drawn from. */
  readonly projectRoot: string;
  /** How often a page asks whether the lake changed (ms, default 2000). */
  readonly pollMs?: number;
}

/** A running console. */
export interface ConsoleServer {
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Path parameters are lake names (pipelines, run ids): nothing that could leave the lake's folders. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * `sluice console`: a web app on 127.0.0.1 over the local lake, server-rendered from the same HTML as the run report
 * (core/report/), live by polling: each page asks `/api/stamp` every `pollMs` and reloads when the lake changed.
 * Reads only: it opens the lake's files, and writes none.
 *
 * - `/`                            pipelines, and runs filterable by pipeline, status and text
 * - `/runs/<pipeline>/<runId>`     a run: workflow graph, rows, quarantine sample, feature sets, its model
 * - `/models/<pipeline>[?version=N]` a model version's plots, tuning, versions over time, the endpoint
 * - `/reports/<pipeline>/<runId>.html`  the run's report file as RecordRun wrote it
 * - `/api/runs`, `/api/stamp`      the runs list and the change stamp as JSON
 * - `/assets/chart.js`             Chart.js's UMD bundle, from node_modules (no network)
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const store = new FolderObjectStore(options.lakeRoot);
  const sources = localReportSources({ lakeRoot: options.lakeRoot, store, bucket: LOCAL_LAKE_BUCKET, projectRoot: options.projectRoot });
  const lake: LakeReader = { store, bucket: LOCAL_LAKE_BUCKET, workDir: tmpdir() };
  const context: PageContext = { options, sources, lake, registry: new LocalRegistry(store, LOCAL_LAKE_BUCKET) };
  const server = createServer((request, response) => {
    handle(request, response, context).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', `console error: ${error instanceof Error ? error.message : String(error)}`);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface PageContext {
  readonly options: ConsoleOptions;
  readonly sources: ReturnType<typeof localReportSources>;
  readonly lake: LakeReader;
  readonly registry: LocalRegistry;
}

async function handle(request: IncomingMessage, response: ServerResponse, context: PageContext): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://console');
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'GET only: the console reads the lake');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const lakeRoot = context.options.lakeRoot;
  if (parts.length === 0) return page(response, context, 'Runs', await runsPage(lakeRoot, url.searchParams));
  if (parts[0] === 'api' && parts[1] === 'stamp') return send(response, 200, 'application/json', JSON.stringify({ stamp: await lakeStamp(lakeRoot) }));
  if (parts[0] === 'api' && parts[1] === 'runs') return send(response, 200, 'application/json', JSON.stringify(await listRuns(lakeRoot)));
  if (parts[0] === 'assets' && parts[1] === 'chart.js') return sendFile(response, chartLibraryPath(), 'text/javascript; charset=utf-8');
  const [kind, pipeline, runId] = parts;
  if (pipeline === undefined || !NAME.test(pipeline)) return notFound(response, context);
  if (kind === 'runs' && runId !== undefined && NAME.test(runId)) return page(response, context, `Run ${runId}`, await runPage(context, pipeline, runId));
  if (kind === 'models' && parts.length === 2) return page(response, context, `Model ${pipeline}`, await modelPage(context, pipeline, url.searchParams.get('version')));
  if (kind === 'reports' && runId !== undefined && runId.endsWith('.html') && NAME.test(runId)) {
    return sendFile(response, path.join(bucketDir(lakeRoot), 'runs', pipeline, runId), 'text/html; charset=utf-8');
  }
  return notFound(response, context);
}

async function runsPage(lakeRoot: string, query: URLSearchParams): Promise<string> {
  const [runs, pipelines] = await Promise.all([listRuns(lakeRoot), listPipelines(lakeRoot)]);
  const pipeline = query.get('pipeline') ?? '';
  const status = query.get('status') ?? '';
  const text = (query.get('q') ?? '').toLowerCase();
  const shown = runs.filter(
    (r) => (!pipeline || r.pipeline === pipeline) && (!status || r.status === status) && (!text || `${r.runId} ${r.trigger} ${r.gate ?? ''} ${r.state ?? ''}`.toLowerCase().includes(text)),
  );
  const endpoints = await Promise.all(pipelines.map((p) => endpointOf(lakeRoot, p)));
  const pipelineRows = pipelines.map((p, i) => {
    const mine = runs.filter((r) => r.pipeline === p);
    const endpoint = endpoints[i];
    return [
      `<a href="/models/${encodeURIComponent(p)}">${escapeHtml(p)}</a>`,
      String(mine.length),
      mine[0] ? `${badge(mine[0].status)} <span class="muted">${escapeHtml(mine[0].startedAt)}</span>` : '',
      endpoint ? `${endpoint.version === undefined ? '' : `v${endpoint.version}`} ${badge(endpoint.live ? 'serving' : 'stopped', endpoint.live ? 'SUCCEEDED' : 'none')}` : '',
      endpoint?.requests ? formatNumber(endpoint.requests.answered) : '',
    ];
  });
  const select = (name: string, values: readonly string[], current: string) =>
    `<select name="${name}"><option value="">all ${name === 'status' ? 'statuses' : 'pipelines'}</option>${values.map((v) => `<option${v === current ? ' selected' : ''}>${escapeHtml(v)}</option>`).join('')}</select>`;
  const filters =
    `<form class="filters" method="get">${select('pipeline', pipelines, pipeline)}${select('status', ['RUNNING', 'SUCCEEDED', 'FAILED'], status)}` +
    `<input name="q" placeholder="run id, trigger, gate, state" value="${escapeHtml(query.get('q') ?? '')}"><button>Filter</button></form>`;
  return (
    `<h1>Pipelines</h1>${table(['pipeline', 'runs', 'last run', 'endpoint', 'requests answered'], pipelineRows, 'pipelines')}` +
    `<h1>Runs <span class="muted">(${shown.length} of ${runs.length})</span></h1>${filters}` +
    table(['run', 'pipeline', 'status', 'trigger', 'started', 'duration', 'rows in', 'valid', 'quarantined', 'model', 'gate'], shown.map(runCells), 'runs')
  );
}

function runCells(r: RunRow): string[] {
  return [
    `<a href="/runs/${encodeURIComponent(r.pipeline)}/${encodeURIComponent(r.runId)}">${escapeHtml(r.runId)}</a>`,
    escapeHtml(r.pipeline),
    `${badge(r.status)}${r.state ? ` <span class="muted">${escapeHtml(r.state)}</span>` : ''}`,
    escapeHtml(r.trigger),
    escapeHtml(r.startedAt),
    r.durationMs === undefined ? '' : escapeHtml(formatDuration(r.durationMs)),
    formatNumber(r.rows?.input),
    formatNumber(r.rows?.valid),
    formatNumber(r.rows?.quarantined),
    r.modelVersion === undefined ? '' : `<a href="/models/${encodeURIComponent(r.pipeline)}?version=${r.modelVersion}">v${r.modelVersion}</a>`,
    r.gate ? badge(r.gate) : '',
  ];
}

async function runPage(context: PageContext, pipeline: string, runId: string): Promise<string> {
  const lakeRoot = context.options.lakeRoot;
  const manifest = await readManifest(lakeRoot, pipeline, runId);
  if (!manifest) {
    // Still running (or failed before anything was recorded): what the step journal says so far.
    const journal = await readStepJournal(lakeRoot, runId);
    if (!journal) return `<h1>Run ${escapeHtml(runId)}</h1><p>No such run in ${escapeHtml(lakeRoot)}.</p>`;
    const definition = await context.sources.workflow();
    return (
      `<h1>Run ${escapeHtml(runId)} ${badge('RUNNING')}</h1><p class="muted">Started ${escapeHtml(journal.startedAt)}; ${journal.steps.length} state(s) so far, ` +
      `the last ${escapeHtml(journal.steps.at(-1)?.name ?? '')}. This page follows the run.</p><h2>Workflow</h2>${definition ? renderWorkflowSvg(definition, journal.steps) : ''}`
    );
  }
  const view = await loadRunView(manifest, context.lake, context.sources);
  const reportFile = path.join(bucketDir(lakeRoot), 'runs', pipeline, `${runId}.html`);
  const report = await stat(reportFile).then(
    (s) => `<p class="muted"><a href="/reports/${encodeURIComponent(pipeline)}/${encodeURIComponent(runId)}.html">Run report</a> (${formatNumber(Math.round(s.size / 1024))} KB, self-contained)` + (view.model?.version === undefined ? '' : ` · <a href="/models/${encodeURIComponent(pipeline)}?version=${view.model.version}">model v${view.model.version}</a>`) + '</p>',
    () => '',
  );
  return report + renderRunBody(view, await endpointOf(lakeRoot, pipeline));
}

async function modelPage(context: PageContext, pipeline: string, versionParam: string | null): Promise<string> {
  const lakeRoot = context.options.lakeRoot;
  const versions = await context.registry.versions(pipeline);
  if (versions.length === 0) return `<h1>${escapeHtml(pipeline)}</h1><p>No model registered yet.</p>`;
  const production = versions.filter((v) => v.status === 'Approved').at(-1);
  const chosen = (versionParam ? versions.find((v) => String(v.version) === versionParam) : undefined) ?? production ?? versions.at(-1);
  if (!chosen) return '<p>No such version.</p>';
  const manifest = await readManifest(lakeRoot, pipeline, chosen.runId);
  const links = versions
    .map((v) => (v.version === chosen.version ? `<b>v${v.version}</b>` : `<a href="/models/${encodeURIComponent(pipeline)}?version=${v.version}">v${v.version}</a>`) + (v === production ? '★' : ''))
    .join(' · ');
  const head = `<h1>Model ${escapeHtml(pipeline)} v${chosen.version}</h1><p class="muted">Versions: ${links} (★ production). Trained by run <a href="/runs/${encodeURIComponent(pipeline)}/${encodeURIComponent(chosen.runId)}">${escapeHtml(chosen.runId)}</a>.</p>`;
  const endpoint = await endpointOf(lakeRoot, pipeline);
  const view = manifest ? await modelView(manifest, context.lake, context.sources) : undefined;
  if (!view) return `${head}<p>The run that trained this version left no manifest.</p>`;
  return head + renderModelBody(view, endpoint);
}

function badge(text: string, kind = text): string {
  return `<span class="badge ${escapeHtml(kind)}">${escapeHtml(text)}</span>`;
}

async function page(response: ServerResponse, context: PageContext, title: string, body: string, status = 200): Promise<void> {
  const stamp = await lakeStamp(context.options.lakeRoot);
  const poll = context.options.pollMs ?? 2000;
  const pipelines = await listPipelines(context.options.lakeRoot);
  const nav = pipelines.map((p) => `<a href="/models/${encodeURIComponent(p)}">${escapeHtml(p)} model</a>`).join('');
  const live = `(function(){var stamp=${JSON.stringify(stamp)};setInterval(function(){fetch('/api/stamp').then(function(r){return r.json();}).then(function(j){if(j.stamp!==stamp)location.reload();}).catch(function(){});},${poll});})();`;
  send(
    response,
    status,
    'text/html; charset=utf-8',
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Sluice console</title><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<style>${REPORT_STYLE}</style></head><body data-stamp="${escapeHtml(stamp)}"><header class="top"><a href="/">Sluice console</a><a href="/">Runs</a>${nav}` +
      `<span class="muted" style="color:#ccfbf1;margin-left:auto">${escapeHtml(context.options.lakeRoot)} · live</span></header><main>${body}</main>` +
      `<script src="/assets/chart.js"></script><script>${CHART_BOOT}</script><script>${live}</script></body></html>`,
  );
}

function notFound(response: ServerResponse, context: PageContext): void {
  void page(response, context, 'Not found', '<h1>Not found</h1><p><a href="/">Runs</a></p>', 404).catch(() => send(response, 404, 'text/plain', 'not found'));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function sendFile(response: ServerResponse, file: string, type: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return send(response, 404, 'text/plain', 'not found');
  response.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': type.startsWith('text/javascript') ? 'max-age=3600' : 'no-store' });
  await new Promise<void>((resolve, reject) => createReadStream(file).on('error', reject).on('end', resolve).pipe(response));
}

/** Fails fast, before the console listens, when Chart.js is missing from node_modules (the pages need it). */
export async function checkChartLibrary(): Promise<void> {
  await readFile(chartLibraryPath(), 'utf8');
}
