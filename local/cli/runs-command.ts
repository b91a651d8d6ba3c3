import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RecordedNotification } from '../adapters/local-notifier.js';
import type { RunDetails, RunListing } from '../runtime/run-history.js';
import { listRuns, showRun } from '../runtime/run-history.js';
import { formatStep } from './format.js';

/** `sluice runs [--pipeline NAME] [--json] [--lake DIR]`: the lake's runs, newest first. Returns the exit code. */
export async function runsCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { pipeline: { type: 'string' }, lake: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const runs = await listRuns(path.resolve(values.lake ?? 'sluice-lake'), values.pipeline);
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(`sluice: no runs in ${path.resolve(values.lake ?? 'sluice-lake')}${values.pipeline ? ` for pipeline "${values.pipeline}"` : ''}\n`);
    return 0;
  }
  process.stdout.write(formatRuns(runs));
  return 0;
}

/** `sluice show RUN [--json] [--lake DIR]`: one run's whole summary, each step with its duration, errors. */
export async function showCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { lake: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const runId = positionals[0];
  if (!runId || positionals.length > 1) {
    process.stderr.write('sluice show: give one RUN id (sluice runs lists them)\n');
    return 2;
  }
  const details = await showRun(path.resolve(values.lake ?? 'sluice-lake'), runId);
  if (!details) {
    process.stderr.write(`sluice show: no run ${runId} in ${path.resolve(values.lake ?? 'sluice-lake')}\n`);
    return 1;
  }
  process.stdout.write(values.json === true ? `${JSON.stringify(details, null, 2)}\n` : formatDetails(details));
  return 0;
}

/** The runs as a table: one line each, and the notification each sent under it. */
export function formatRuns(runs: readonly RunListing[]): string {
  const header = ['RUN', 'TRIGGER', 'STATUS', 'DURATION', 'ROWS', 'MODEL', 'GATE'];
  const rows = runs.map((r) => [r.runId, r.trigger, r.status, formatDuration(r.durationMs), `${r.rows.valid}/${r.rows.input}`, r.modelVersion === undefined ? '-' : `v${r.modelVersion}`, r.outcome]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(header)];
  runs.forEach((run, i) => {
    out.push(line(rows[i] ?? []));
    if (run.detail) out.push(`    ${run.detail}`);
    if (run.notification) out.push(`    notified: ${run.notification.subject}${webhookNote(run.notification.webhook)}`);
  });
  return `${out.join('\n')}\n`;
}

/** One run in full: the summary the notification carried, each step with its duration and error. */
export function formatDetails(details: RunDetails): string {
  const { listing, manifest, steps } = details;
  const lines = [`Run ${listing.runId}: ${listing.pipeline}, ${listing.trigger}, ${listing.status} (${listing.outcome}) in ${formatDuration(listing.durationMs)}`];
  lines.push(`  started ${listing.startedAt}, finished ${listing.finishedAt}`);
  lines.push(`  rows: ${listing.rows.input} in, ${listing.rows.valid} valid, ${listing.rows.quarantined} quarantined; ${manifest.ingest.length} file(s)`);
  if (listing.modelVersion !== undefined) lines.push(`  model: version ${listing.modelVersion}`);
  if (manifest.skipped) lines.push(`  skipped: ${manifest.skipped}`);
  if (manifest.error) lines.push(`  error: ${manifest.execution?.failedState ?? 'start'}: ${manifest.error.name}: ${manifest.error.message}`);
  if (manifest.execution) lines.push(`  execution: ${manifest.execution.status}, redriven ${manifest.execution.redriveCount} time(s); resume with: sluice resume ${listing.runId}`);
  for (const file of manifest.failedFiles ?? []) lines.push(`  failed file: ${file.object ?? '?'}: ${file.error}`);
  if (steps) {
    lines.push('  steps:');
    for (const step of steps) lines.push(`  ${formatStep(step)}${step.error ? `: ${step.error.message}` : ''}`);
  } else {
    lines.push('  steps: no step journal for this run');
  }
  if (listing.notification) {
    lines.push(`  notification (${listing.notification.sentAt}${webhookNote(listing.notification.webhook)}):`);
    lines.push(`    ${listing.notification.subject}`);
    for (const bodyLine of listing.notification.body.trimEnd().split('\n')) lines.push(`    ${bodyLine}`);
  }
  return `${lines.join('\n')}\n`;
}

function webhookNote(webhook: RecordedNotification['webhook']): string {
  if (!webhook) return '';
  return webhook.error ? `; webhook failed: ${webhook.error}` : `; webhook answered ${webhook.status ?? '?'}`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
