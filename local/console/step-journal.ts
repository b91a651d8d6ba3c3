import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { StepOutcome } from '../../core/report/workflow-graph.js';

/**
 * What the journal holds: the run's states so far, rewritten whole as they change (the runner's writer is
 * local/runtime/run-journal.ts), so the console shows a run in progress and the run report the states' outcomes.
 */
export interface StepJournalRecord {
  readonly runId: string;
  readonly pipeline: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly steps: readonly StepOutcome[];
}

const SUFFIX = '.steps.json';

/** `<lake>/logs/<runId>.steps.json`, beside the run's log. */
export function stepJournalFile(lakeRoot: string, runId: string): string {
  return path.join(lakeRoot, 'logs', `${runId}${SUFFIX}`);
}

/** A run's journal, or undefined when it has none (a run recorded in the cloud, or before the console existed). */
export async function readStepJournal(lakeRoot: string, runId: string): Promise<StepJournalRecord | undefined> {
  try {
    return JSON.parse(await readFile(stepJournalFile(lakeRoot, runId), 'utf8')) as StepJournalRecord;
  } catch {
    return undefined;
  }
}

/** Every journal of the lake (runs in progress among them). */
export async function listStepJournals(lakeRoot: string): Promise<StepJournalRecord[]> {
  const dir = path.join(lakeRoot, 'logs');
  const names = await readdir(dir).catch(() => [] as string[]);
  const journals = await Promise.all(names.filter((n) => n.endsWith(SUFFIX)).map((n) => readStepJournal(lakeRoot, n.slice(0, -SUFFIX.length))));
  return journals.filter((j): j is StepJournalRecord => j !== undefined);
}
