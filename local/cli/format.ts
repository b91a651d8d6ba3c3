import path from 'node:path';
import type { RunSummary } from '../runtime/run-local.js';
import type { StepRecord } from '../runtime/step-tracker.js';

const MARK: Record<StepRecord['status'], string> = { RUNNING: '…', SUCCEEDED: '✓', FAILED: '✗', CAUGHT: '✗' };

/** One progress line: status mark, state name, duration, and the error when it failed. */
export function formatStep(step: StepRecord): string {
  const retries = step.retries > 0 ? ` (${step.retries} retr${step.retries === 1 ? 'y' : 'ies'})` : '';
  const error = step.error ? `  ${step.error.name}` : '';
  return `  ${MARK[step.status]} ${step.name.padEnd(28)} ${formatMs(step.durationMs).padStart(8)}${retries}${error}`;
}

/** The closing lines of a run: status, rows, where the outputs are. */
export function formatSummary(summary: RunSummary): string {
  const lines = [''];
  if (summary.status === 'SUCCEEDED') {
    lines.push(`Run ${summary.runId} SUCCEEDED in ${formatMs(summary.durationMs)}`);
  } else {
    lines.push(`Run ${summary.runId} FAILED in ${summary.error?.state ?? 'unknown state'}`);
    lines.push(`  ${summary.error?.name ?? 'Error'}: ${summary.error?.message ?? ''}`);
  }
  const { input, valid, quarantined } = summary.rows;
  lines.push(`  rows: ${input} in, ${valid} valid, ${quarantined} quarantined`);
  if (summary.outputs.curated.length > 0) lines.push(`  curated:    ${summary.outputs.curated.length} Parquet file(s) under ${commonFolder(summary.outputs.curated)}`);
  for (const q of summary.outputs.quarantine) lines.push(`  quarantine: ${q}`);
  for (const r of summary.outputs.raw) lines.push(`  original:   ${r}`);
  for (const d of summary.outputs.sameContentAs) lines.push(`  re-run:     ${d.file} has the same bytes as ${d.key} (run ${d.runId}): its rows were replaced, not added`);
  if (summary.outputs.features) lines.push(`  features:   ${path.dirname(summary.outputs.features.train)}/split={train,validation}/`);
  const split = summary.outputs.features?.split;
  if (split) {
    const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
    lines.push(`  split:      ${split.trainRows} train, ${split.validationRows} validation rows (${pct(split.validationShare)} validation, ${pct(split.askedShare)} asked)`);
  }
  lines.push(...formatQuality(summary));
  const model = summary.model;
  if (model) {
    const shown = Object.entries(model.metrics).filter(([k]) => !k.startsWith('train:')).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
    lines.push(`  model:      version ${model.version} (${shown})`);
    const decision = model.decision === 'promoted' ? 'PROMOTED' : model.decision === 'approved, not deployed' ? 'APPROVED, not deployed' : 'not promoted';
    lines.push(`  gate:       ${decision}: ${model.reasons.join('; ')}`);
    if (model.endpoint) lines.push(`  serving:    ${model.endpoint}  (sluice predict --pipeline ${summary.pipeline} FILE)`);
  }
  if (summary.outputs.manifest) lines.push(`  manifest:   ${summary.outputs.manifest}`);
  if (summary.outputs.report) lines.push(`  report:     ${summary.outputs.report}`);
  lines.push(`  log:        ${summary.outputs.log}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The data-quality lines: the strongest effect, then each finding with its columns, its effect and its violations
 * file. A clean profile says so in one line; an unprofiled run prints nothing.
 */
function formatQuality(summary: RunSummary): string[] {
  const quality = summary.quality;
  if (!quality) return [];
  if (quality.findings.length === 0) return ['  quality:    no violations'];
  const effect = { warn: 'warned', block: 'promotion blocked', quarantine: 'file quarantined', none: 'no effect' }[quality.effect];
  const lines = [`  quality:    ${quality.findings.length} violation kind(s), ${effect}`];
  for (const f of quality.findings) lines.push(`    ${f.kind} on ${f.features.join(', ')}: ${f.effect} (${path.basename(f.file)}; ${f.violations})`);
  return lines;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => p.split('/'));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length - 1 && split.every((s) => s[n] === first[n])) n += 1;
  return first.slice(0, n).join('/');
}
