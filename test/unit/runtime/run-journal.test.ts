import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StepOutcome } from '../../../core/report/workflow-graph.js';
import { readStepJournal, stepJournalFile } from '../../../local/console/step-journal.js';
import { coalescedStepJournal } from '../../../local/runtime/run-journal.js';

const STARTED = new Date('2026-11-30T06:00:00.000Z');

/** The end of the current turn of the event loop: where the journal's gathered write happens. */
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('coalescedStepJournal', () => {
  let lake: string;

  beforeEach(() => {
    lake = mkdtempSync(path.join(tmpdir(), 'sluice-run-journal-'));
    mkdirSync(path.join(lake, 'logs'));
  });

  afterEach(() => {
    rmSync(lake, { recursive: true, force: true });
  });

  describe('states recorded in one turn', () => {
    it('writes nothing until the turn ends, then every state as the console reads it', async () => {
      // Prepare
      const journal = coalescedStepJournal(lake, 'churn', 'run-1', STARTED);
      // A mutable record, as the step tracker's are: it changes the records it handed over in place.
      const crawl: { -readonly [K in keyof StepOutcome]: StepOutcome[K] } = { name: 'StartCrawler', status: 'RUNNING', durationMs: 0, retries: 0 };

      // Act
      journal.record(crawl);
      crawl.status = 'SUCCEEDED';
      journal.record(crawl);
      journal.record({ name: 'WaitForCrawler', status: 'RUNNING', durationMs: 0, retries: 0 });
      const writtenBeforeTurnEnds = existsSync(stepJournalFile(lake, 'run-1'));
      await endOfTurn();

      // Assess
      expect(writtenBeforeTurnEnds).toBe(false);
      const read = await readStepJournal(lake, 'run-1');
      expect(read).toMatchObject({ runId: 'run-1', pipeline: 'churn', startedAt: STARTED.toISOString() });
      expect(read?.steps).toEqual([
        { name: 'StartCrawler', status: 'SUCCEEDED', durationMs: 0, retries: 0 },
        { name: 'WaitForCrawler', status: 'RUNNING', durationMs: 0, retries: 0 },
      ]);
    });
  });

  describe('a flush', () => {
    it('writes the pending states at once when a Task is about to run', () => {
      // Prepare
      const journal = coalescedStepJournal(lake, 'churn', 'run-2', STARTED);
      journal.record({ name: 'RecordRun', status: 'RUNNING', durationMs: 0, retries: 0 });

      // Act
      journal.flush();

      // Assess
      const read = JSON.parse(readFileSync(stepJournalFile(lake, 'run-2'), 'utf8')) as { steps: StepOutcome[] };
      expect(read.steps.map((s) => s.name)).toEqual(['RecordRun']);
      expect(existsSync(`${stepJournalFile(lake, 'run-2')}.partial`)).toBe(false);
    });

    it('throws the error of a write that failed at the end of a turn when the lake lost its logs folder', async () => {
      // Prepare
      const journal = coalescedStepJournal(lake, 'churn', 'run-3', STARTED);
      rmSync(path.join(lake, 'logs'), { recursive: true });
      journal.record({ name: 'NormalizeInput', status: 'RUNNING', durationMs: 0, retries: 0 });
      await endOfTurn();

      // Act
      const act = () => journal.flush();

      // Assess
      expect(act).toThrow(/ENOENT/);
    });
  });
});
