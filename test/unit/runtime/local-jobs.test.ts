import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';

/** A promise and the function that resolves it: a step of the work the test lets happen when it chooses. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('LocalJobBoard', () => {
  describe('work that hands its status over before its cleanup ends', () => {
    it('settles the job at the hand-over, once, and is idle only when the work has ended', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const cleanup = gate();
      const settledWith: string[] = [];
      let idle = false;

      // Act
      board.launch<string>(
        async (_signal, settle) => {
          settle('Completed');
          await cleanup.opened;
          return 'Completed after cleanup';
        },
        (status) => settledWith.push(status),
        () => 'Failed',
      );
      await board.settledOrAfter(60_000);
      const whileCleaning = { running: board.running, settledWith: [...settledWith] };
      const idled = board.idle().then(() => {
        idle = true;
      });
      await Promise.resolve();
      const idleBeforeCleanup = idle;
      cleanup.open();
      await idled;

      // Assess
      expect(whileCleaning).toEqual({ running: 0, settledWith: ['Completed'] });
      expect(idleBeforeCleanup).toBe(false);
      expect(settledWith).toEqual(['Completed']);
    });
  });
});
