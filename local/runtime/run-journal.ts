import { renameSync, writeFileSync } from 'node:fs';
import type { StepOutcome } from '../../core/report/workflow-graph.js';
import { stepJournalFile } from '../console/step-journal.js';
import type { StepJournalRecord } from '../console/step-journal.js';

/** A run's step journal whose writes are gathered: see {@link coalescedStepJournal}. */
export interface CoalescedStepJournal {
  /** Takes a state's record (new, or one it has, changed in place): written at the end of this turn of the event loop. */
  readonly record: (step: StepOutcome) => void;
  /** Writes now what is not written yet (nothing when all is). */
  readonly flush: () => void;
}

/**
 * The run's step journal (`<lake>/logs/<runId>.steps.json`, the format of local/console/step-journal.ts, which
 * `sluice console` and the run report read), written once per turn of the event loop instead of once per state event.
 * Each write replaces the file through a temporary name and a rename, which a reader needs to never see half a file;
 * on ext4 a rename over a file also forces the new file's blocks out first (mount option `auto_da_alloc`, on by default:
 * Linux Documentation/admin-guide/ext4.rst), and one write per
 * event (about 45 in a run) blocked a run's event loop 0.13-0.35 s here (issue 16). A state's exit and the next
 * state's entry arrive in one turn, so gathering them halves the writes. The runner flushes before every Task runs,
 * so a step that reads the journal (RecordRun's report) finds every state before it, and once more when the run ends.
 */
export function coalescedStepJournal(lakeRoot: string, pipeline: string, runId: string, startedAt: Date): CoalescedStepJournal {
  const file = stepJournalFile(lakeRoot, runId);
  const steps: StepOutcome[] = [];
  let pending: NodeJS.Immediate | undefined;
  // The first write that failed, kept: a write at the end of a turn has no caller to tell, so every flush after it
  // throws it (the runner's last one makes the run fail, as a failed write in the tracker's callback did).
  let failed: { error: unknown } | undefined;
  const write = (): void => {
    if (pending === undefined) return;
    clearImmediate(pending);
    pending = undefined;
    const body: StepJournalRecord = { runId, pipeline, startedAt: startedAt.toISOString(), updatedAt: new Date().toISOString(), steps };
    try {
      writeFileSync(`${file}.partial`, JSON.stringify(body));
      renameSync(`${file}.partial`, file);
    } catch (error) {
      failed ??= { error };
    }
  };
  return {
    record: (step) => {
      if (!steps.includes(step)) steps.push(step);
      pending ??= setImmediate(write);
    },
    flush: () => {
      write();
      if (failed !== undefined) throw failed.error;
    },
  };
}
