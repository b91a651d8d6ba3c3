import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RETRY_POLICY, RETRY_POLICIES } from '../../../deploy/retry-policies.js';
import { applyRetryPolicies, RetryPolicyError, stateMachineDefinition } from '../../../deploy/state-machine.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/**
 * state-machines/sluice.asl.json as it was when every Task wrote its Retry out in full, before the retry policies
 * moved to deploy/retry-policies.js: what the generated definition must still be.
 */
const EXPANDED_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'sluice.asl.expanded.json');

const task = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ Type: 'Task', Resource: 'arn:x', ...extra, End: true });

describe('stateMachineDefinition', () => {
  describe('the definition of this repository', () => {
    it('equals the definition written out in full, retries included, when generated', () => {
      // Prepare
      const expanded: unknown = JSON.parse(readFileSync(EXPANDED_FIXTURE, 'utf8'));

      // Act
      const generated = stateMachineDefinition(REPO_ROOT);

      // Assess
      expect(generated).toStrictEqual(expanded);
    });

    it('writes the same DefinitionString, key order included, when serialized', () => {
      // Prepare
      const expanded = readFileSync(EXPANDED_FIXTURE, 'utf8');

      // Act
      const serialized = `${JSON.stringify(stateMachineDefinition(REPO_ROOT), null, 2)}\n`;

      // Assess
      expect(serialized).toBe(expanded);
    });
  });
});

/** How long another execution's WaitForEndpoint waits on its endpoint change: core/steps/deploy.ts, DEPLOY_TIMEOUT_SECONDS. */
const ENDPOINT_CHANGE_SECONDS = 3600;

interface GeneratedRetrier { ErrorEquals: string[]; IntervalSeconds: number; MaxAttempts: number; BackoffRate: number; MaxDelaySeconds?: number; JitterStrategy: string }

/** The waits a retrier makes in all before it gives up, without jitter (Step Functions: Interval × Backoff^n, capped). */
function totalWaitSeconds(retrier: GeneratedRetrier): number {
  let total = 0;
  for (let attempt = 0; attempt < retrier.MaxAttempts; attempt += 1) {
    total += Math.min(retrier.IntervalSeconds * retrier.BackoffRate ** attempt, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return total;
}

describe('stateMachineDefinition Deploy', () => {
  describe('an endpoint still updating for another execution', () => {
    it('retries TransientServiceError, without jitter, for at least as long as an endpoint change may take when generated', () => {
      // Prepare
      const generated = stateMachineDefinition(REPO_ROOT) as { States: Record<string, { Retry?: GeneratedRetrier[] }> };

      // Act
      const retrier = generated.States.Deploy?.Retry?.find((r) => r.ErrorEquals.includes('TransientServiceError'));

      // Assess
      expect(retrier).toBeDefined();
      expect(retrier?.JitterStrategy).toBe('NONE');
      expect(totalWaitSeconds(retrier as GeneratedRetrier)).toBeGreaterThanOrEqual(ENDPOINT_CHANGE_SECONDS);
      expect(generated.States.Deploy?.Retry).toStrictEqual(RETRY_POLICIES['endpoint-busy']);
    });
  });
});

describe('applyRetryPolicies', () => {
  describe('a Task that names no policy', () => {
    it('gets the default policy when generated', () => {
      // Prepare
      const definition = { StartAt: 'A', States: { A: task() } };

      // Act
      const generated = applyRetryPolicies(definition);

      // Assess
      expect(DEFAULT_RETRY_POLICY).toBe('standard');
      expect(generated.States).toStrictEqual({ A: { Type: 'Task', Resource: 'arn:x', Retry: RETRY_POLICIES.standard, End: true } });
    });
  });

  describe('a Task that names a policy', () => {
    it('gets that policy in place of the name when generated', () => {
      // Prepare
      const definition = { StartAt: 'A', States: { A: task({ Retry: 'capacity' }), B: task() } };

      // Act
      const generated = applyRetryPolicies(definition);

      // Assess
      expect((generated.States.A as { Retry: unknown }).Retry).toStrictEqual(RETRY_POLICIES.capacity);
      expect((generated.States.B as { Retry: unknown }).Retry).toStrictEqual(RETRY_POLICIES.standard);
      expect(RETRY_POLICIES.capacity).not.toEqual(RETRY_POLICIES.standard);
    });

    it('fails naming the state and the policies there are when the name is unknown', () => {
      // Prepare
      const definition = { StartAt: 'A', States: { A: task({ Retry: 'patient' }) } };

      // Act
      const act = (): unknown => applyRetryPolicies(definition);

      // Assess
      expect(act).toThrow(RetryPolicyError);
      expect(act).toThrow('$.States.A: no retry policy "patient" in deploy/retry-policies.js (standard, capacity, endpoint-busy, fargate)');
    });

    it('fails when the Task writes its retriers out instead of naming a policy', () => {
      // Prepare
      const definition = { StartAt: 'A', States: { A: task({ Retry: RETRY_POLICIES.standard }) } };

      // Act
      const act = (): unknown => applyRetryPolicies(definition);

      // Assess
      expect(act).toThrow(/\$\.States\.A: "Retry" must name a policy/);
    });
  });

  describe('Tasks inside Map and Parallel states', () => {
    it('fills in the Tasks of an ItemProcessor and of every branch when generated', () => {
      // Prepare
      const definition = {
        StartAt: 'M',
        States: {
          M: { Type: 'Map', ItemProcessor: { StartAt: 'Inner', States: { Inner: task({ Retry: 'capacity' }) } }, Next: 'P' },
          P: { Type: 'Parallel', Branches: [{ StartAt: 'B', States: { B: task() } }], End: true },
        },
      };

      // Act
      const generated = applyRetryPolicies(definition);

      // Assess
      const map = generated.States.M as { ItemProcessor: { States: { Inner: { Retry: unknown } } } };
      const parallel = generated.States.P as { Branches: { States: { B: { Retry: unknown } } }[]; Retry?: unknown };
      expect(map.ItemProcessor.States.Inner.Retry).toStrictEqual(RETRY_POLICIES.capacity);
      expect(parallel.Branches[0]?.States.B.Retry).toStrictEqual(RETRY_POLICIES.standard);
      expect(parallel.Retry).toBeUndefined();
    });

    it('fails when a state other than a Task has a Retry', () => {
      // Prepare
      const definition = { StartAt: 'P', States: { P: { Type: 'Parallel', Retry: 'standard', Branches: [], End: true } } };

      // Act
      const act = (): unknown => applyRetryPolicies(definition);

      // Assess
      expect(act).toThrow('$.States.P: only Task states take a retry policy');
    });
  });

  describe('the generated arrays', () => {
    it('gives each Task a copy of its policy, so changing one Task changes neither another nor the policy', () => {
      // Prepare
      const generated = applyRetryPolicies({ StartAt: 'A', States: { A: task(), B: task() } });
      const [a, b] = [generated.States.A, generated.States.B] as { Retry: { ErrorEquals: string[] }[] }[];

      // Act
      a?.Retry[0]?.ErrorEquals.push('States.ALL');

      // Assess
      expect(b?.Retry[0]?.ErrorEquals).not.toContain('States.ALL');
      expect(RETRY_POLICIES.standard[0]?.ErrorEquals).not.toContain('States.ALL');
    });
  });
});
