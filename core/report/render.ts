/**
 * The HTML of a run and of its model: shared by the run report (one self-contained file) and the local console
 * (pages served live). Charts are Chart.js configurations in `<script type="application/json" data-chart>` blocks,
 * drawn by {@link CHART_BOOT} once Chart.js is loaded; everything else is plain HTML and an SVG of the workflow.
 */
import { escapeHtml, formatNumber, numberField, record, scriptJson, stringField, table } from './html.js';
import type { ModelInsights } from './model-insights.js';
import type { EndpointView, ModelView, RunView, VersionPoint } from './run-view.js';
import { formatDuration, renderWorkflowSvg } from './workflow-graph.js';

/** The pages' stylesheet. */
export const REPORT_STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f9fafb}
body{margin:0}header.top{background:#0f766e;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header.top a{color:#fff;text-decoration:none;font-weight:600}main{padding:16px 20px;max-width:1280px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
h3{font-size:14px;margin:12px 0 6px}table{border-collapse:collapse;font-size:13px;background:#fff;margin:4px 0 10px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f4f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.SUCCEEDED,.Approved,.promoted{background:#d1fae5;color:#065f46}.FAILED,.Rejected,.TIMED_OUT,.ABORTED{background:#fee2e2;color:#991b1b}
.RUNNING,.PendingManualApproval{background:#fef3c7;color:#92400e}.kept,.none{background:#e5e7eb;color:#374151}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px}.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:10px}
.chart{position:relative;height:300px}.muted{color:#6b7280;font-size:13px}.reasons li{font-size:13px}
svg.workflow{background:#fff;border:1px solid #e5e7eb;border-radius:6px;max-width:100%;height:auto}
svg.workflow .edge{stroke:#9ca3af;stroke-width:1.2;fill:none}svg.workflow rect{stroke:#6b7280;stroke-width:1}
svg.workflow text{font-size:11px;fill:#111827}svg.workflow text.detail{fill:#374151}
.cm td{text-align:right;min-width:60px}form.filters{display:flex;gap:8px;margin:6px 0 10px;flex-wrap:wrap}
form.filters input,form.filters select{padding:4px 6px;font-size:13px}
`;

/** Draws every chart block of the page with Chart.js (`window.Chart`); run again after the page's content changes. */
export const CHART_BOOT = `(function(){function draw(){if(!window.Chart)return;document.querySelectorAll('script[data-chart]').forEach(function(s){var c=document.getElementById(s.getAttribute('data-chart'));if(!c||c.getAttribute('data-drawn'))return;c.setAttribute('data-drawn','1');new window.Chart(c,JSON.parse(s.textContent));});}window.sluiceDrawCharts=draw;if(document.readyState==='loading')document.addEventListener('DOMContentLoaded',draw);else draw();})();`;

/** Counts chart ids per page, so two charts never share one. */
class ChartIds {
  private next = 0;
  public id(prefix: string): string {
    this.next += 1;
    return `${prefix}-${this.next}`;
  }
}

const COLORS = ['#0f766e', '#2563eb', '#d97706', '#dc2626', '#7c3aed', '#059669'];

function chart(ids: ChartIds, prefix: string, title: string, config: Record<string, unknown>, height = 300): string {
  const id = ids.id(prefix);
  const options = record(config['options']) ?? {};
  const full = { ...config, options: { animation: false, maintainAspectRatio: false, responsive: true, ...options, plugins: { title: { display: true, text: title }, ...record(options['plugins']) } } };
  return `<div class="card"><div class="chart" style="height:${height}px"><canvas id="${id}" aria-label="${escapeHtml(title)}"></canvas></div><script type="application/json" data-chart="${id}">${scriptJson(full)}</script></div>`;
}

function badge(text: string | undefined, kind = text): string {
  return text === undefined ? '' : `<span class="badge ${escapeHtml(kind ?? '')}">${escapeHtml(text)}</span>`;
}

/** The gate's outcome in one word: promoted, rejected, or none (no model). */
export function gateWord(view: ModelView | undefined): string {
  if (!view?.decision) return 'none';
  return view.decision.promote ? 'promoted' : 'kept';
}

/** A run's page body: summary, workflow graph, rows and quarantine, feature sets, then its model. */
export function renderRunBody(view: RunView, endpoint?: EndpointView): string {
  const ids = new ChartIds();
  const m = view.manifest;
  const durationMs = Date.parse(m.finishedAt) - Date.parse(m.startedAt);
  const summary = table(
    ['status', 'trigger', 'started', 'duration', 'rows in', 'valid', 'quarantined', 'model version', 'gate'],
    [
      [
        badge(m.status),
        escapeHtml(m.trigger),
        escapeHtml(m.startedAt),
        Number.isFinite(durationMs) ? escapeHtml(formatDuration(durationMs)) : '',
        `<span class="num">${formatNumber(m.rows.input)}</span>`,
        formatNumber(m.rows.valid),
        formatNumber(m.rows.quarantined),
        view.model?.version === undefined ? '' : `v${view.model.version}`,
        badge(gateWord(view.model)),
      ],
    ],
    'summary',
  );
  const error = m.error ? `<p class="muted">Failed${m.execution?.failedState ? ` in <b>${escapeHtml(m.execution.failedState)}</b>` : ''}: ${escapeHtml(m.error.name)}: ${escapeHtml(m.error.message)}</p>` : '';
  const graph = view.definition
    ? `<h2>Workflow</h2>${renderWorkflowSvg(view.definition, view.steps)}`
    : view.steps.length > 0
      ? `<h2>States</h2>${table(['state', 'status', 'duration', 'retries'], view.steps.map((s) => [escapeHtml(s.name), badge(s.status), escapeHtml(formatDuration(s.durationMs)), String(s.retries)]))}`
      : '';
  const files = m.ingest.map((f) => [escapeHtml(f.source.key), formatNumber(f.rows.input), formatNumber(f.rows.valid), formatNumber(f.rows.quarantined), String(f.curatedFiles ?? f.curatedKeys?.length ?? ''), escapeHtml(f.quarantineKey ?? '')]);
  const ingest = files.length > 0 ? `<h2>Rows</h2>${table(['file', 'rows', 'valid', 'quarantined', 'curated files', 'quarantine file'], files)}` : '';
  const quarantine = view.quarantine
    .map(
      (q) =>
        `<h3>Quarantine: ${escapeHtml(q.key)} (${formatNumber(q.total)} rows, first ${q.rows.length})</h3>` +
        table(
          q.columns,
          q.rows.map((r) => r.map((v) => escapeHtml(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)))),
          'quarantine',
        ),
    )
    .join('');
  const features =
    view.featureSets.length > 0
      ? `<h2>Feature sets</h2>${table(
          ['set', 'rows', 'columns', 'files', 'size', 'location'],
          view.featureSets.map((s) => [
            escapeHtml(s.name),
            s.rows === undefined ? '<span class="muted">not read</span>' : formatNumber(s.rows),
            s.columns.length > 0 ? `${s.columns.length} <span class="muted">(${escapeHtml(s.columns.join(', '))})</span>` : s.rows === undefined ? '<span class="muted">not read</span>' : 'CSV, no header',
            String(s.files),
            escapeHtml(formatBytes(s.bytes)),
            escapeHtml(s.location),
          ]),
        )}${view.featureSets.some((s) => s.rows === undefined) ? '<p class="muted">Feature files are listed, not read, where this report is written: their rows and columns are not shown.</p>' : ''}`
      : '';
  const model = view.model ? renderModelBody(view.model, endpoint, ids) : '';
  return `<h1>Run ${escapeHtml(m.runId)}</h1>${summary}${error}${graph}${ingest}${quarantine}${features}${model}`;
}

/** A model's sections: metrics and the gate, every plot its kind has, tuning trials, versions, the endpoint. */
export function renderModelBody(view: ModelView, endpoint?: EndpointView, ids = new ChartIds()): string {
  const parts: string[] = [];
  parts.push(`<h2>Model${view.version === undefined ? '' : ` v${view.version}`} ${badge(view.status)}</h2>`);
  if (view.decision) {
    parts.push(
      `<p>Gate on <b>${escapeHtml(view.decision.metric)}</b>: candidate ${formatNumber(view.decision.candidate)}, production ${formatNumber(view.decision.production)} → ${badge(view.decision.promote ? 'promoted' : 'kept')}</p>` +
        `<ul class="reasons">${view.decision.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`,
    );
  }
  const names = [...new Set([...Object.keys(view.metrics), ...Object.keys(view.production?.metrics ?? {}).filter((k) => !k.startsWith('candidateSet:'))])].sort();
  if (names.length > 0) {
    const headers = ['metric', 'candidate', ...(view.production ? [`production v${view.production.version}`] : [])];
    parts.push(table(headers, names.map((n) => [escapeHtml(n), formatNumber(view.metrics[n]), ...(view.production ? [formatNumber(view.production.metrics[`candidateSet:${n}`] ?? view.production.metrics[n])] : [])]), 'metrics'));
  }
  const charts: string[] = [];
  const insights = view.insights;
  if (insights?.roc) charts.push(curveChart(ids, 'roc', `ROC curve (AUC ${formatNumber(numberField(view.evaluation?.['auc']))})`, insights.roc, 'false positive rate', 'true positive rate', true));
  if (insights?.precisionRecall) charts.push(curveChart(ids, 'pr', 'Precision-recall curve', insights.precisionRecall, 'recall', 'precision', false));
  if (insights?.residuals) charts.push(residualChart(ids, insights));
  if (insights?.importance && insights.importance.length > 0) charts.push(importanceChart(ids, insights));
  if (insights?.tuning && insights.tuning.trials.length > 0) charts.push(tuningChart(ids, insights));
  if (view.versions.length > 0) charts.push(versionsChart(ids, view.versions, view.decision?.metric));
  const confusion = confusionTable(view.evaluation);
  const perClass = perClassTable(view.evaluation);
  if (confusion) parts.push(`<h3>Confusion matrix (rows: actual, columns: predicted)</h3>${confusion}`);
  if (perClass) parts.push(`<h3>Per class</h3>${perClass}`);
  // Where the runtime cannot record plot data, say why in place of the plots rather than leave them out silently.
  if (view.plotsUnavailable !== undefined) parts.push(`<p class="muted plots-unavailable">Feature importance and tuning plots: ${escapeHtml(view.plotsUnavailable)}</p>`);
  if (charts.length > 0) parts.push(`<div class="grid">${charts.join('')}</div>`);
  else if (view.plotsUnavailable === undefined) parts.push('<p class="muted">No plot data recorded for this model (insights.json beside its artifact).</p>');
  if (insights?.tuning && insights.tuning.trials.length > 0) parts.push(`<h3>Tuning trials (${escapeHtml(insights.tuning.metric)}, ${escapeHtml(insights.tuning.direction)})</h3>${trialsTable(insights)}`);
  if (Object.keys(view.hyperparameters).length > 0) parts.push(`<h3>Hyperparameters</h3>${table(['name', 'value'], Object.entries(view.hyperparameters).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]))}`);
  if (view.versions.length > 0) {
    parts.push(
      `<h3>Versions</h3>${table(
        ['version', 'status', 'created', 'run', view.decision?.metric ?? 'metric', 'decision'],
        [...view.versions].reverse().map((v) => [`v${v.version}${v.production ? ' <b>(production)</b>' : ''}`, badge(v.status), escapeHtml(v.createdAt), escapeHtml(v.runId), formatNumber(v.metric), escapeHtml(v.decision ?? '')]),
        'versions',
      )}`,
    );
  }
  if (endpoint) parts.push(renderEndpoint(endpoint));
  return parts.join('');
}

/** The endpoint's section: which version serves, since when, requests answered. */
export function renderEndpoint(endpoint: EndpointView): string {
  return (
    `<h2>Endpoint ${escapeHtml(endpoint.name)} ${badge(endpoint.live ? 'serving' : 'stopped', endpoint.live ? 'SUCCEEDED' : 'none')}</h2>` +
    table(
      ['model version', 'since', 'address', 'requests answered'],
      [
        [
          endpoint.version === undefined ? '' : `v${endpoint.version}`,
          escapeHtml(endpoint.since ?? ''),
          escapeHtml(endpoint.url ?? ''),
          endpoint.requests ? `${formatNumber(endpoint.requests.answered)} <span class="muted">since ${escapeHtml(endpoint.requests.since)}</span>` : '0',
        ],
      ],
      'endpoint',
    )
  );
}

/**
 * The run report: one self-contained HTML file (styles, Chart.js and the data inline; no network when opened)
 * with the run page's and the model page's sections.
 */
export function renderRunReport(view: RunView, chartLibrary: string): string {
  const title = `Sluice run ${view.manifest.runId}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><style>${REPORT_STYLE}</style></head><body>` +
    `<header class="top"><span>Sluice run report: ${escapeHtml(view.manifest.pipeline)}</span></header><main>${renderRunBody(view)}` +
    `<p class="muted">Written ${escapeHtml(view.manifest.finishedAt)} by ${view.manifest.status === 'FAILED' ? 'RecordFailure' : 'RecordRun'}.</p></main>` +
    // A script element ends at the first "</script" in it, whatever the context: Chart.js has none, but be sure.
    `<script>${chartLibrary.replace(/<\/script/gi, '<\\/script')}</script><script>${CHART_BOOT}</script></body></html>`
  );
}

function curveChart(ids: ChartIds, prefix: string, title: string, curve: { x: readonly number[]; y: readonly number[] }, xLabel: string, yLabel: string, diagonal: boolean): string {
  const points = curve.x.map((x, i) => ({ x, y: curve.y[i] ?? 0 }));
  return chart(ids, prefix, title, {
    type: 'scatter',
    data: {
      datasets: [
        { label: title.split(' (')[0], data: points, showLine: true, pointRadius: 0, borderColor: COLORS[0], borderWidth: 2 },
        ...(diagonal ? [{ label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, pointRadius: 0, borderColor: '#9ca3af', borderDash: [5, 5], borderWidth: 1 }] : []),
      ],
    },
    options: { scales: { x: { min: 0, max: 1, title: { display: true, text: xLabel } }, y: { min: 0, max: 1, title: { display: true, text: yLabel } } } },
  });
}

function residualChart(ids: ChartIds, insights: ModelInsights): string {
  const r = insights.residuals ?? { actual: [], predicted: [] };
  const points = r.predicted.map((p, i) => ({ x: p, y: (r.actual[i] ?? 0) - p }));
  return chart(ids, 'residuals', `Residuals (${r.actual.length} of ${insights.rows} validation rows)`, {
    type: 'scatter',
    data: { datasets: [{ label: 'actual − predicted', data: points, pointRadius: 2, backgroundColor: COLORS[1] }] },
    options: { scales: { x: { title: { display: true, text: 'predicted' } }, y: { title: { display: true, text: 'residual' } } } },
  });
}

function importanceChart(ids: ChartIds, insights: ModelInsights): string {
  const top = (insights.importance ?? []).slice(0, 20);
  return chart(ids, 'importance', 'Feature importance (XGBoost gain and weight)', {
    type: 'bar',
    data: {
      labels: top.map((f) => f.feature),
      datasets: [
        { label: 'gain (average per split)', data: top.map((f) => f.gain), backgroundColor: COLORS[0], xAxisID: 'x' },
        { label: 'weight (splits)', data: top.map((f) => f.weight), backgroundColor: '#93c5fd', xAxisID: 'x2' },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { position: 'bottom', title: { display: true, text: 'gain' } }, x2: { position: 'top', grid: { drawOnChartArea: false }, title: { display: true, text: 'weight' } }, y: { ticks: { autoSkip: false, font: { size: 10 } } } },
    },
  }, 120 + 26 * top.length);
}

function tuningChart(ids: ChartIds, insights: ModelInsights): string {
  const tuning = insights.tuning;
  if (!tuning) return '';
  const better = (a: number, b: number) => (tuning.direction === 'Maximize' ? a > b : a < b);
  let best: number | undefined;
  const bestSoFar = tuning.trials.map((t) => {
    if (t.objective !== undefined && (best === undefined || better(t.objective, best))) best = t.objective;
    return best ?? null;
  });
  return chart(ids, 'tuning', `Tuning: ${tuning.metric} per trial`, {
    type: 'line',
    data: {
      labels: tuning.trials.map((t) => `${t.index + 1}`),
      datasets: [
        { label: 'trial objective', data: tuning.trials.map((t) => t.objective ?? null), showLine: false, pointRadius: 4, backgroundColor: COLORS[1], borderColor: COLORS[1] },
        { label: 'best so far', data: bestSoFar, stepped: true, pointRadius: 0, borderColor: COLORS[0], borderWidth: 2 },
      ],
    },
    options: { scales: { x: { title: { display: true, text: 'trial' } }, y: { title: { display: true, text: tuning.metric } } } },
  });
}

function versionsChart(ids: ChartIds, versions: readonly VersionPoint[], metric: string | undefined): string {
  const color = (v: VersionPoint) => (v.production ? '#0f766e' : v.status === 'Approved' ? '#059669' : v.status === 'Rejected' ? '#dc2626' : '#d97706');
  return chart(ids, 'versions', `Versions over time: ${metric ?? 'gate metric'} (★ production, red rejected)`, {
    type: 'line',
    data: {
      labels: versions.map((v) => `v${v.version}`),
      datasets: [
        {
          label: metric ?? 'metric',
          data: versions.map((v) => v.metric ?? null),
          borderColor: '#9ca3af',
          pointBackgroundColor: versions.map(color),
          pointBorderColor: versions.map(color),
          pointStyle: versions.map((v) => (v.production ? 'star' : 'circle')),
          pointRadius: versions.map((v) => (v.production ? 10 : 5)),
        },
      ],
    },
    options: { scales: { x: { title: { display: true, text: 'version (registration order)' } } } },
  });
}

function trialsTable(insights: ModelInsights): string {
  const trials = insights.tuning?.trials ?? [];
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.hyperparameters)))].sort();
  return table(
    ['trial', 'job', 'objective', 'stopped early', ...names],
    trials.map((t) => [String(t.index + 1), escapeHtml(t.jobName), formatNumber(t.objective), t.stoppedEarly ? 'yes' : '', ...names.map((n) => escapeHtml(shortNumber(t.hyperparameters[n])))]),
    'trials',
  );
}

function shortNumber(value: string | undefined): string {
  if (value === undefined) return '';
  const n = Number(value);
  return Number.isFinite(n) && !Number.isInteger(n) ? n.toPrecision(4) : value;
}

/** A confusion matrix: binary counts, a multi-class `[actual][predicted]` array, or a text model's label-keyed record. */
function confusionTable(evaluation: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!evaluation) return undefined;
  const cm = evaluation['confusionMatrix'] ?? evaluation['confusion_matrix'];
  const binary = record(cm);
  if (binary && typeof binary['truePositives'] === 'number') {
    const v = (k: string) => numberField(binary[k]) ?? 0;
    return heat(['0', '1'], [[v('trueNegatives'), v('falsePositives')], [v('falseNegatives'), v('truePositives')]]);
  }
  if (Array.isArray(cm)) {
    const rows = (cm as unknown[]).map((r) => (Array.isArray(r) ? (r as unknown[]).map((x) => Number(x)) : []));
    return heat(rows.map((_, i) => String(i)), rows);
  }
  if (binary) {
    const labels = Object.keys(binary);
    const rows = labels.map((a) => labels.map((p) => numberField(record(binary[a])?.[p]) ?? 0));
    return heat(labels, rows);
  }
  return undefined;
}

function heat(labels: readonly string[], rows: readonly (readonly number[])[]): string {
  const max = Math.max(1, ...rows.flat());
  const cell = (v: number, diagonal: boolean) => {
    const alpha = (0.12 + 0.75 * (v / max)).toFixed(2);
    const rgb = diagonal ? '15,118,110' : '220,38,38';
    return `<td style="background:rgba(${rgb},${alpha})">${formatNumber(v)}</td>`;
  };
  const head = `<tr><th>actual \\ predicted</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr>`;
  const body = rows.map((r, i) => `<tr><th>${escapeHtml(labels[i] ?? '')}</th>${r.map((v, j) => cell(v, i === j)).join('')}</tr>`).join('');
  return `<table class="cm">${head}${body}</table>`;
}

/** A text model's per-label precision, recall and F1 (`precision@<label>`, ... in its evaluation). */
function perClassTable(evaluation: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!evaluation) return undefined;
  const labels = Object.keys(evaluation)
    .filter((k) => k.startsWith('precision@'))
    .map((k) => k.slice('precision@'.length));
  if (labels.length === 0) return undefined;
  return table(
    ['label', 'precision', 'recall', 'f1'],
    labels.map((l) => [escapeHtml(l), formatNumber(evaluation[`precision@${l}`]), formatNumber(evaluation[`recall@${l}`]), formatNumber(evaluation[`f1@${l}`])]),
    'per-class',
  );
}

/** A size as a person reads it: bytes, KB or MB (1,024-based). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A short model description for lists: `v3 (promoted)`. */
export function modelLabel(view: ModelView | undefined): string {
  if (!view) return '';
  return `${view.version === undefined ? '' : `v${view.version}`}${stringField(view.status) ? ` ${view.status}` : ''}`.trim();
}
