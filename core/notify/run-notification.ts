import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RunManifest } from '../manifest/run-manifest.js';
import type { Notifier, RunNotification, RunOutcome } from '../ports/notifier.js';

/**
 * The longest subject sent. SNS: "Subjects must be UTF-8 text with no line breaks or control characters, and less than
 * 100 characters long" (SNS API reference, Publish, `Subject`); a subject with control or non-ASCII characters is
 * rewritten on the way (Amazon Managed Service for Prometheus user guide, "Understanding Amazon SNS message validation
 * rules"): subjects here are plain ASCII, 99 characters at most.
 */
export const MAX_SUBJECT_CHARS = 99;

/** The sections of a manifest's stages a notification reads (RecordRun keeps them as the workflow state had them). */
interface StagesView {
  evaluation?: { promote?: boolean; decision?: { reasons?: string[]; metric?: string }; candidate?: { version?: number; metrics?: Record<string, number>; status?: string } };
  promotion?: { endpoint?: string };
}

/**
 * The message of one finished run, the same in both runtimes: RecordRun sends it for a run that succeeded (promoted,
 * not promoted with the gate's reasons, or skipped), RecordFailure for one that failed, timed out or was aborted (the
 * state it stopped in and the error).
 */
export function runNotification(manifest: RunManifest, lakeBucket: string): RunNotification {
  const stages = manifest.stages as StagesView;
  const evaluation = stages.evaluation;
  const version = evaluation?.candidate?.version;
  const outcome = outcomeOf(manifest, stages);
  const manifestUri = `s3://${lakeBucket}/runs/${manifest.pipeline}/${manifest.runId}.json`;
  const headline = subjectOf(manifest, outcome, version, evaluation);
  const lines = [
    `Pipeline: ${manifest.pipeline}`,
    `Run: ${manifest.runId} (${manifest.trigger})`,
    `Status: ${manifest.status}${manifest.execution ? ` (${manifest.execution.status})` : ''}, ${manifest.startedAt} to ${manifest.finishedAt}`,
    `Rows: ${manifest.rows.input} in, ${manifest.rows.valid} valid, ${manifest.rows.quarantined} quarantined`,
  ];
  if (manifest.skipped) lines.push(`Skipped: ${manifest.skipped}`);
  if (evaluation?.candidate) {
    const metrics = Object.entries(evaluation.candidate.metrics ?? {}).filter(([k]) => !k.startsWith('train:')).map(([k, v]) => `${k} ${round(v)}`).join(', ');
    lines.push(`Model: version ${version ?? '?'}${metrics ? ` (${metrics})` : ''}`);
    lines.push(`Gate: ${outcome}: ${(evaluation.decision?.reasons ?? []).join('; ')}`);
  }
  if (stages.promotion?.endpoint) lines.push(`Serving: ${stages.promotion.endpoint}`);
  if (manifest.error) {
    if (manifest.execution?.failedState) lines.push(`Failed state: ${manifest.execution.failedState}`);
    lines.push(`Error: ${manifest.error.name}: ${manifest.error.message}`);
    if (manifest.execution) lines.push(`Redrive: from ${manifest.execution.failedState ?? 'the start'} (execution ${manifest.execution.arn}, redriven ${manifest.execution.redriveCount} time(s))`);
  }
  for (const file of manifest.failedFiles ?? []) lines.push(`Failed file: ${file.object ?? '?'}: ${file.error}`);
  lines.push(`Manifest: ${manifestUri}`);
  return { pipeline: manifest.pipeline, runId: manifest.runId, outcome, subject: asciiSubject(headline), body: `${lines.join('\n')}\n`, manifest: manifestUri };
}

/**
 * Sends the run's notification. A notification that cannot be sent is logged, never thrown: the run has happened and
 * its manifest is written; failing the state now would only make a redrive write the same manifest again (the
 * execution alarm still reports failed executions on its own).
 */
export async function notifyRun(manifest: RunManifest, deps: { notifier?: Notifier; logger: Logger; lakeBucket: string }): Promise<RunNotification | undefined> {
  if (!deps.notifier) return undefined;
  const notification = runNotification(manifest, deps.lakeBucket);
  try {
    await deps.notifier.notify(notification);
    deps.logger.info('run notification sent', { subject: notification.subject, outcome: notification.outcome });
  } catch (error) {
    deps.logger.error('could not send the run notification', { subject: notification.subject, error: describeError(error) });
  }
  return notification;
}

function outcomeOf(manifest: RunManifest, stages: StagesView): RunOutcome {
  if (manifest.status === 'FAILED') return 'failed';
  if (manifest.skipped) return 'skipped';
  const evaluation = stages.evaluation;
  if (!evaluation?.candidate) return 'succeeded';
  if (evaluation.promote === true && stages.promotion?.endpoint) return 'promoted';
  if (evaluation.promote === true && evaluation.candidate.status === 'Approved') return 'approved, not deployed';
  return 'not promoted';
}

function subjectOf(manifest: RunManifest, outcome: RunOutcome, version: number | undefined, evaluation: StagesView['evaluation']): string {
  const who = `Sluice ${manifest.pipeline}:`;
  const metric = evaluation?.decision?.metric;
  const value = metric === undefined ? undefined : evaluation?.candidate?.metrics?.[metric];
  const scored = metric !== undefined && value !== undefined ? ` (${metric} ${round(value)})` : '';
  switch (outcome) {
    case 'failed':
      return `${who} ${manifest.execution?.status ?? 'FAILED'} in ${manifest.execution?.failedState ?? 'start'}: ${manifest.error?.name ?? 'Error'}`;
    case 'skipped':
      return `${who} scheduled run skipped, no new data`;
    case 'promoted':
      return `${who} model v${version ?? '?'} promoted${scored}`;
    case 'approved, not deployed':
      return `${who} model v${version ?? '?'} approved, not deployed${scored}`;
    case 'not promoted':
      return `${who} model v${version ?? '?'} not promoted${scored}: ${refusal(evaluation?.decision?.reasons ?? [])}`;
    case 'succeeded':
      return `${who} run succeeded, ${manifest.rows.valid} rows curated`;
  }
}

/** The gate's reason that refused the candidate ("does not meet", "does not beat"), not one it passed. */
function refusal(reasons: readonly string[]): string {
  return reasons.find((r) => r.includes('does not')) ?? reasons[0] ?? '';
}

/** One line of printable ASCII, cut to {@link MAX_SUBJECT_CHARS} with an ellipsis of dots. */
export function asciiSubject(text: string): string {
  // Line breaks and other control characters become spaces; accents fall off their letters (NFKD); the rest goes.
  const ascii = text.normalize('NFKD').replace(/\p{Cc}+/gu, ' ').replace(/[^\x20-\x7e]/g, '').replace(/ +/g, ' ').trim();
  return ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
