import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { describeCaughtError, lambdaErrorCauseSchema } from '../../../core/run/workflow-state.js';
import { lambdaErrorDocument, localBindings } from '../../../local/runtime/local-bindings.js';
import type { JSONValue } from '../../../local/runtime/local-bindings.js';
import { localDeps } from '../../../local/runtime/local-deps.js';
import { installPromiseWithResolvers } from '../../../local/runtime/polyfills.js';
import { StepTracker } from '../../../local/runtime/step-tracker.js';

installPromiseWithResolvers();

const RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:sluice-local-StartCrawler';
/** StartCrawler refuses an input without a run context: a step error thrown before any adapter is called. */
const REFUSAL = 'StartCrawler received an input it cannot use:';

async function startCrawlerBinding() {
  const lakeRoot = await mkdtemp(path.join(tmpdir(), 'sluice-bindings-'));
  return localBindings(localDeps({ lakeRoot, specs: fixedSpecCatalog([]), runId: 'bindings-test' })).StartCrawler;
}

/** Runs a one-Task state machine whose Task is StartCrawler's local binding; returns its output and event log. */
async function runOneTask(task: Record<string, unknown>, input: JSONValue) {
  const caught = 'Catch' in task ? { Caught: { Type: 'Pass', End: true } } : {};
  const definition = { StartAt: 'StartCrawler', States: { StartCrawler: { Type: 'Task', Resource: RESOURCE, ...task }, ...caught } };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const execution = machine.run(input, { overrides: { taskResourceLocalHandlers: { StartCrawler: await startCrawlerBinding() }, retryIntervalOverrides: { StartCrawler: 0 } } });
  const tracker = new StepTracker();
  const consuming = (async () => {
    for await (const event of execution.eventLogs) tracker.record(event);
  })();
  const output = await execution.result.catch((error: unknown) => ({ rejected: error }));
  await consuming;
  return { output, tracker };
}

describe('local bindings', () => {
  describe('a step that throws', () => {
    it('gives a Catch the error code and the Lambda error document as Cause when the state catches it by name', async () => {
      // Act
      const { output } = await runOneTask({ Catch: [{ ErrorEquals: ['InvalidStateInputError'], ResultPath: '$.error', Next: 'Caught' }], End: true }, { nothing: true });

      // Assess
      const caught = (output as { error: { Error: string; Cause: string } }).error;
      expect(caught.Error).toBe('InvalidStateInputError');
      const document = lambdaErrorCauseSchema.parse(JSON.parse(caught.Cause));
      expect(document.errorType).toBe('InvalidStateInputError');
      expect(document.errorMessage).toMatch(new RegExp(`^${REFUSAL}\\n  - run: `));
      expect(document.trace?.[0]).toBe(`InvalidStateInputError: ${REFUSAL}`);
      expect(document.trace?.some((line) => line.trimStart().startsWith('at '))).toBe(true);
      expect(describeCaughtError(caught)).toEqual({ name: 'InvalidStateInputError', message: document.errorMessage });
    });

    it('is retried by its name and shows a person its message when the run fails', async () => {
      // Act
      const { output, tracker } = await runOneTask({ Retry: [{ ErrorEquals: ['InvalidStateInputError'], MaxAttempts: 2 }], End: true }, { nothing: true });

      // Assess
      expect(output).toHaveProperty('rejected');
      const [step] = tracker.steps();
      expect(step).toMatchObject({ name: 'StartCrawler', status: 'FAILED', retries: 2, error: { name: 'InvalidStateInputError', message: expect.stringMatching(new RegExp(`^${REFUSAL}\\n`)) } });
      expect(tracker.executionError()).toEqual({ name: 'InvalidStateInputError', message: expect.stringMatching(new RegExp(`^${REFUSAL}\\n`)) });
    });
  });

  describe('lambdaErrorDocument', () => {
    it('makes an Error of a thrown value that is not one, as the Lambda runtime does', () => {
      // Act
      const document = lambdaErrorDocument('boom');

      // Assess
      expect(document).toEqual({ errorType: 'Error', errorMessage: 'boom', trace: ['Error: boom'] });
    });
  });
});

describe('StepTracker', () => {
  describe('an execution that ends in the Fail state', () => {
    it("reports RecordFailure's message when the Fail state's cause is plain text", () => {
      // Prepare
      const tracker = new StepTracker();

      // Act
      tracker.record({ type: 'ExecutionFailed', timestamp: 1, Error: 'CrawlFailedError', Cause: 'Crawler sluice-local-orders failed: no data' });

      // Assess
      expect(tracker.executionError()).toEqual({ name: 'CrawlFailedError', message: 'Crawler sluice-local-orders failed: no data' });
    });
  });

  describe('a state that fails and is retried or caught', () => {
    const state = { name: 'StartCrawler', type: 'Task' };
    const cause = JSON.stringify({ errorType: 'TransientServiceError', errorMessage: 'Glue is busy', trace: [] });

    it('records the retries and the success when a retry gets past the failure', () => {
      // Prepare
      const shown: string[] = [];
      const tracker = new StepTracker((step) => shown.push(`${step.name} ${step.status}`));

      // Act
      tracker.record({ type: 'StateEntered', timestamp: 0, state });
      tracker.record({ type: 'StateFailed', timestamp: 5, state, Error: 'TransientServiceError', Cause: cause });
      tracker.record({ type: 'StateRetried', timestamp: 6, state });
      tracker.record({ type: 'StateExited', timestamp: 9, state });

      // Assess
      expect(tracker.steps()).toEqual([{ name: 'StartCrawler', status: 'SUCCEEDED', durationMs: 9, retries: 1 }]);
      expect(tracker.failedState()).toBeUndefined();
      expect(shown).toEqual(['StartCrawler RUNNING', 'StartCrawler FAILED', 'StartCrawler SUCCEEDED']);
    });

    it('records the error once and marks the state caught when a Catch takes the failure', () => {
      // Prepare
      const shown: string[] = [];
      const tracker = new StepTracker((step) => shown.push(`${step.name} ${step.status}`));

      // Act
      tracker.record({ type: 'StateEntered', timestamp: 0, state });
      tracker.record({ type: 'StateFailed', timestamp: 5, state, Error: 'TransientServiceError', Cause: cause });
      tracker.record({ type: 'StateCaught', timestamp: 5, state });

      // Assess
      expect(tracker.steps()).toEqual([{ name: 'StartCrawler', status: 'CAUGHT', durationMs: 5, retries: 0, error: { name: 'TransientServiceError', message: 'Glue is busy' } }]);
      expect(tracker.failedState()).toBe('StartCrawler');
      expect(shown).toEqual(['StartCrawler RUNNING', 'StartCrawler FAILED']);
    });
  });
});
