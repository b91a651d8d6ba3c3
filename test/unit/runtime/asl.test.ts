import { RETRYABLE_ERROR_CODES } from '../../../core/errors.js';
import { generatedDefinition, loadDefinition, LOCAL_ARN_PREFIX, resolveDefinition, taskStateNames, UnresolvedDefinitionError } from '../../../local/runtime/resolve-definition.js';
import { workflowStateSections } from '../../../core/run/workflow-state.js';
import { stepRegistry } from '../../../core/steps/registry.js';
import { EXECUTION_TIMEOUT_SECONDS } from '../../../core/spec/workflow-limits.js';
import { localDistributedMaps } from '../../../local/runtime/distributed-map.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { loadScoringDefinition } from '../../../local/runtime/run-local-scoring.js';

type State = Record<string, unknown>;
/** The definition both runtimes run: state-machines/sluice.asl.json with its retry policies filled in, unresolved. */
const raw = generatedDefinition(REPO_ROOT) as { States: Record<string, State>; QueryLanguage?: string };
const definition = loadDefinition(REPO_ROOT);

function allStates(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, State> } | undefined;
    return [[name, state] as [string, State], ...(processor ? allStates(processor.States) : [])];
  });
}

describe('state machine definition', () => {
  describe('local bindings', () => {
    it('binds every Task state to a step when the local runner builds its overrides', () => {
      // Prepare
      // The service-integration Tasks (ecs:runTask) are bound by the local Distributed Map emulation, not the registry.
      const emulated = localDistributedMaps(definition, { store: new FolderObjectStore('/nonexistent'), lakeBucket: 'lake', lakeRoot: '/nonexistent', runId: 'r', specs: [] }).bind({});

      // Act
      const unbound = taskStateNames(definition).filter((name) => !(name in stepRegistry) && !(name in emulated));

      // Assess
      expect(unbound).toEqual([]);
    });

    it('has no binding left over for a state the definitions no longer have', () => {
      // The registry serves both state machines: the training workflow's and batch scoring's (issue 12).
      const scoring = loadScoringDefinition(REPO_ROOT);
      expect(Object.keys(stepRegistry).filter((name) => !taskStateNames(definition).includes(name) && !taskStateNames(scoring).includes(name))).toEqual([]);
    });
  });

  describe('workflow state', () => {
    it('has a schema for every section a state writes, and no schema no state writes, when the ResultPaths are collected', () => {
      // Prepare
      const topLevel = Object.entries(raw.States);

      // Act
      const written = new Set<string>();
      for (const [, state] of topLevel) {
        const paths = [state.ResultPath, ...((state.Catch ?? []) as { ResultPath?: unknown }[]).map((c) => c.ResultPath)];
        for (const p of paths) if (typeof p === 'string' && p.startsWith('$.')) written.add(p.slice(2).split('.')[0] ?? '');
        // A Task without ResultPath replaces the state with its ResultSelector's output: NormalizeInput's `run`.
        if (state.Type === 'Task' && !('ResultPath' in state) && state.ResultSelector) {
          for (const key of Object.keys(state.ResultSelector as object)) written.add(key.replace(/\.\$$/, ''));
        }
      }

      // Assess
      expect([...written].filter((key) => !(key in workflowStateSections))).toEqual([]);
      expect(Object.keys(workflowStateSections).filter((key) => !written.has(key))).toEqual([]);
    });
  });

  describe('language', () => {
    it('uses JSONPath only: no JSONata query language and no JSONata fields', () => {
      // Assess
      expect(raw.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      for (const [name, state] of allStates(raw.States)) {
        expect([name, state.QueryLanguage ?? 'JSONPath']).toEqual([name, 'JSONPath']);
        expect([name, 'Arguments' in state || 'Output' in state || 'Assign' in state]).toEqual([name, false]);
      }
    });
  });

  describe('errors', () => {
    it('retries the retryable error codes on every Task and catches nothing, so a failure fails the execution where it happened', () => {
      for (const [name, state] of allStates(raw.States).filter(([, s]) => s.Type === 'Task')) {
        const retried = ((state.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
        expect([name, RETRYABLE_ERROR_CODES.filter((code) => code !== 'ResourceLimitError' && !retried.includes(code))]).toEqual([name, []]);
      }
      // A Catch would send the execution on to another state: RedriveExecution would then resume there, not where it
      // failed (issue 10, item 3). Failures are recorded from the execution status-change event instead.
      expect(allStates(raw.States).filter(([, s]) => 'Catch' in s).map(([name]) => name)).toEqual([]);
    });

    it('has no RecordFailure or Fail state: RecordFailure runs outside the execution', () => {
      expect(Object.keys(raw.States).filter((name) => name === 'RecordFailure' || raw.States[name]?.Type === 'Fail')).toEqual([]);
    });

    it('times the execution out at the workflow limit the spec loader fits every loop in', () => {
      expect((raw as { TimeoutSeconds?: unknown }).TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
    });
  });

  describe('resolution pre-pass', () => {
    it('turns each Fn::GetAtt of a function into a local ARN naming it', () => {
      expect((definition.States.NormalizeInput as State).Resource).toBe(`${LOCAL_ARN_PREFIX}NormalizeInput`);
    });

    it('substitutes serverless variables and refuses an unknown one', () => {
      expect(resolveDefinition({ States: { A: { Resource: '${stage}-x' } } }, { stage: 'dev' })).toEqual({ States: { A: { Resource: 'dev-x' } } });
      expect(() => resolveDefinition({ States: { A: { Resource: '${nope}' } } })).toThrow(UnresolvedDefinitionError);
    });
  });
});
