import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import type { JSONValue } from '../../../local/runtime/local-bindings.js';
import { engineDefinition, pacedPolls, UNBOUNDED_TASK_SECONDS } from '../../../local/runtime/run-local.js';
import { installPromiseWithResolvers } from '../../../local/runtime/polyfills.js';

installPromiseWithResolvers();

const RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:sluice-local-Slow';
const MINUTE_AND_A_HALF = 90_000;

/** A Task handler that answers after `ms` of (fake) time. */
const slowTask = (ms: number) => (): Promise<JSONValue> => new Promise((resolve) => setTimeout(() => resolve({ done: true }), ms));

/** Runs a one-Task machine and reports how it ended. */
async function runSlowTask(definition: Record<string, unknown>, ms: number): Promise<{ output?: JSONValue; error?: string }> {
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const execution = machine.run({}, { overrides: { taskResourceLocalHandlers: { Slow: slowTask(ms) } } });
  const outcome = execution.result.then(
    (output: JSONValue) => ({ output }),
    // The engine wraps the state's error in an ExecutionError; its cause is what the Task failed with.
    (error: unknown) => ({ error: error instanceof Error && error.cause instanceof Error ? error.cause.name : String(error) }),
  );
  await jest.advanceTimersByTimeAsync(ms + 1_000);
  return outcome;
}

describe('local runner', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  describe('engineDefinition, a Task state the ASL gives no timeout', () => {
    const definition = { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: RESOURCE, End: true } } };

    it('is cut off at 60 s with States.Timeout when the engine runs the ASL as written (the hidden default)', async () => {
      // Act
      const outcome = await runSlowTask(definition, MINUTE_AND_A_HALF);

      // Assess
      expect(outcome).toEqual({ error: 'States.Timeout' });
    });

    it('runs to the end when the definition goes through engineDefinition', async () => {
      // Act
      const outcome = await runSlowTask(engineDefinition(definition), MINUTE_AND_A_HALF);

      // Assess
      expect(outcome).toEqual({ output: { done: true } });
    });
  });

  describe('engineDefinition, the states it touches', () => {
    it('gives every Task without a timeout, nested ones too, the unbounded timeout and keeps one the ASL sets', () => {
      // Prepare
      const definition = {
        StartAt: 'A',
        States: {
          A: { Type: 'Task', Resource: RESOURCE, Next: 'M' },
          M: { Type: 'Map', ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Task', Resource: RESOURCE, End: true } } }, Next: 'B' },
          B: { Type: 'Task', Resource: RESOURCE, TimeoutSeconds: 300, Next: 'C' },
          C: { Type: 'Task', Resource: RESOURCE, TimeoutSecondsPath: '$.limit', Next: 'W' },
          W: { Type: 'Wait', Seconds: 5, End: true },
        },
      };

      // Act
      const engine = engineDefinition(definition);

      // Assess
      expect(engine.States.A).toMatchObject({ TimeoutSeconds: UNBOUNDED_TASK_SECONDS });
      expect(engine.States.M.ItemProcessor?.States.Inner).toMatchObject({ TimeoutSeconds: UNBOUNDED_TASK_SECONDS });
      expect(engine.States.B).toMatchObject({ TimeoutSeconds: 300 });
      expect(engine.States.C).not.toHaveProperty('TimeoutSeconds');
      expect(engine.States.W).not.toHaveProperty('TimeoutSeconds');
      expect(definition.States.A).not.toHaveProperty('TimeoutSeconds');
      // Node fires a longer setTimeout at once: the unbounded timeout must stay within its range.
      expect(UNBOUNDED_TASK_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    });
  });

  describe('pacedPolls', () => {
    const definition = {
      States: {
        WaitForJob: { Type: 'Wait', SecondsPath: '$.job.pollSeconds', Next: 'PollJob' },
        PollJob: { Type: 'Task', Resource: RESOURCE, Next: 'WaitForJob' },
        Other: { Type: 'Task', Resource: RESOURCE, End: true },
      },
    };
    const input = { job: { pollSeconds: 30 } };

    /** The poll binding, paced by `board`; `calls` counts the polls that reached the step. */
    const pacedPoll = (board: LocalJobBoard) => {
      const calls: number[] = [];
      const bindings: Record<'PollJob' | 'Other', (input: JSONValue) => Promise<JSONValue>> = {
        PollJob: async () => (calls.push(Date.now()), { polled: true }),
        Other: async () => ({ other: true }),
      };
      return { calls, paced: pacedPolls(definition, bindings, board, 50) };
    };

    it('polls the moment a running job settles, not after the whole interval', async () => {
      // Prepare
      const board = new LocalJobBoard();
      let finish: (value: string) => void = () => undefined;
      board.launch(() => new Promise<string>((resolve) => (finish = resolve)), () => undefined, () => 'failed');
      const { calls, paced } = pacedPoll(board);
      await jest.advanceTimersByTimeAsync(0);

      // Act
      const polled = paced.PollJob(input);
      await jest.advanceTimersByTimeAsync(1_000);
      const before = calls.length;
      finish('done');
      await jest.advanceTimersByTimeAsync(0);

      // Assess
      expect(before).toBe(0);
      await expect(polled).resolves.toEqual({ polled: true });
      expect(calls).toHaveLength(1);
    });

    it('polls after the interval, less the Wait, when the job keeps running', async () => {
      // Prepare
      const board = new LocalJobBoard();
      board.launch(() => new Promise<string>(() => undefined), () => undefined, () => 'failed');
      const { calls, paced } = pacedPoll(board);
      await jest.advanceTimersByTimeAsync(0);

      // Act
      const polled = paced.PollJob(input);
      await jest.advanceTimersByTimeAsync(29_949);
      const before = calls.length;
      await jest.advanceTimersByTimeAsync(1);

      // Assess
      expect(before).toBe(0);
      await expect(polled).resolves.toEqual({ polled: true });
      board.stopAll();
    });

    it('polls at once when no job is running, and leaves Tasks that do not follow a Wait as they were', async () => {
      // Prepare
      const { calls, paced } = pacedPoll(new LocalJobBoard());

      // Act
      const polled = await paced.PollJob(input);
      const other = await paced.Other({});

      // Assess
      expect(polled).toEqual({ polled: true });
      expect(calls).toHaveLength(1);
      expect(other).toEqual({ other: true });
    });
  });

  describe('LocalJobBoard', () => {
    it('returns from launch before the work runs', () => {
      // Prepare
      const board = new LocalJobBoard();
      let ran = false;

      // Act
      board.launch(async () => ((ran = true), 'done'), () => undefined, () => 'failed');

      // Assess
      expect(ran).toBe(false);
      expect(board.running).toBe(1);
    });

    it("settles with the limit's status and aborts the work when the job outlives its limit", async () => {
      // Prepare
      const board = new LocalJobBoard();
      const settled: string[] = [];
      let signal: AbortSignal | undefined;
      board.launch(
        (s) => ((signal = s), new Promise<string>(() => undefined)),
        (status) => settled.push(status),
        () => 'failed',
        { seconds: 2, status: () => 'stopped at its limit' },
      );

      // Act
      await jest.advanceTimersByTimeAsync(1_999);
      const before = [...settled];
      await jest.advanceTimersByTimeAsync(1);

      // Assess
      expect(before).toEqual([]);
      expect(settled).toEqual(['stopped at its limit']);
      expect(signal?.aborted).toBe(true);
      expect(board.running).toBe(0);
    });

    it('aborts every running job when stopAll is called', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const signals: AbortSignal[] = [];
      const settled: string[] = [];
      for (let i = 0; i < 2; i++) {
        board.launch(
          (s) => (signals.push(s), new Promise<string>((_, reject) => s.addEventListener('abort', () => reject(new Error('stopped'))))),
          (status) => settled.push(status),
          (error) => `failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await jest.advanceTimersByTimeAsync(0);

      // Act
      board.stopAll();
      await jest.advanceTimersByTimeAsync(0);

      // Assess
      expect(signals.map((s) => s.aborted)).toEqual([true, true]);
      expect(settled).toEqual(['failed: stopped', 'failed: stopped']);
      expect(board.running).toBe(0);
    });
  });
});
