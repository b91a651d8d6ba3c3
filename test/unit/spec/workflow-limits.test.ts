import { PipelineSpecError } from '../../../core/errors.js';
import {
  EVENTS_PER_POLL,
  EXECUTION_TIMEOUT_SECONDS,
  HISTORY_EVENT_LIMIT,
  LOOP_SECONDS,
  POLL_BUDGETS,
  REST_OF_WORKFLOW_EVENTS,
  RETRY_WAIT_SECONDS,
  trainingPolls,
  workflowLimitProblems,
} from '../../../core/spec/workflow-limits.js';
import { generatedDefinition } from '../../../local/runtime/resolve-definition.js';
import { REPO_ROOT, SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

/** Retries of the generated definition, to check the wait budget against them. */
interface Retrier {
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
}

function longestWait(retry: Retrier[] | undefined): number {
  return Math.max(
    0,
    ...(retry ?? []).map((r) => {
      let total = 0;
      for (let attempt = 0; attempt < r.MaxAttempts; attempt += 1) total += Math.min(r.IntervalSeconds * r.BackoffRate ** attempt, r.MaxDelaySeconds ?? Infinity);
      return total;
    }),
  );
}

const definition = generatedDefinition(REPO_ROOT) as { TimeoutSeconds?: number; States: Record<string, { Retry?: Retrier[] }> };

describe('workflow limits', () => {
  describe('the arithmetic', () => {
    it('keeps every loop at its budget within the 25,000 history events with room for the rest of the run', () => {
      // Act
      const loopEvents = EVENTS_PER_POLL * Object.values(POLL_BUDGETS).reduce((a, b) => a + b, 0);

      // Assess
      expect(loopEvents + REST_OF_WORKFLOW_EVENTS).toBe(HISTORY_EVENT_LIMIT);
      expect(REST_OF_WORKFLOW_EVENTS).toBeGreaterThanOrEqual(5_000);
    });

    it("times the execution out no sooner than every loop at its longest plus the retry policies' waits", () => {
      // Prepare
      const loops = Object.values(LOOP_SECONDS).reduce((a, b) => a + b, 0);
      const capacity = longestWait(definition.States.StartTraining?.Retry);
      const endpointBusy = longestWait(definition.States.Deploy?.Retry);

      // Assess
      expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
      expect(capacity + endpointBusy).toBeLessThanOrEqual(RETRY_WAIT_SECONDS);
      expect(EXECUTION_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(loops + RETRY_WAIT_SECONDS);
    });
  });

  describe('the shipped churn spec', () => {
    it('fits every loop when its 8-job tuning (2 at a time) is polled every 30 s', () => {
      // Prepare
      const spec = { catalog: { pollSeconds: 30, timeoutSeconds: 1800 }, features: { pollSeconds: 5, timeoutSeconds: 1800 }, training: { pollSeconds: 30, maxRuntimeSeconds: 1800 }, tuning: { enabled: true, maxJobs: 8, maxParallelJobs: 2 } };

      // Act / Assess
      expect(workflowLimitProblems(spec)).toEqual([]);
      expect(trainingPolls(spec, 'tune')).toBe(320);
    });
  });

  describe('a spec whose loops would not fit', () => {
    it('refuses five-day training polled every 30 s, naming the setting, the bound and the poll interval that fits', () => {
      // Prepare
      const yaml = `${SMALL_SPEC_YAML}
features: {}
training:
  hyperparameters: { objective: 'binary:logistic', num_round: 10 }
  maxRuntimeSeconds: 432000
  pollSeconds: 30
`;

      // Act / Assess
      expect(() => specFrom(yaml)).toThrow(PipelineSpecError);
      expect(() => specFrom(yaml)).toThrow(
        'training.pollSeconds: training.maxRuntimeSeconds needs 18020 polls, more than the 1200 one execution holds for this loop ' +
          '(Step Functions keeps 25000 history events, 9 per poll; docs/architecture.md, "Workflow limits"): set training.pollSeconds to at least 451 or lower training.maxRuntimeSeconds',
      );
    });

    it('refuses a crawl polled every second for a day, when no poll interval the schema allows would fit', () => {
      // Prepare
      const spec = { catalog: { pollSeconds: 1, timeoutSeconds: 86_400 * 2 } };

      // Act
      const problems = workflowLimitProblems(spec);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^catalog\.pollSeconds: catalog\.timeoutSeconds needs 172800 polls, .*: lower catalog\.timeoutSeconds$/)]);
    });

    it('accepts the same training once its polls are slow enough', () => {
      // Prepare
      const spec = { catalog: { pollSeconds: 30, timeoutSeconds: 1800 }, training: { pollSeconds: 451, maxRuntimeSeconds: 432_000 } };

      // Act / Assess
      expect(workflowLimitProblems(spec)).toEqual([]);
    });
  });
});
