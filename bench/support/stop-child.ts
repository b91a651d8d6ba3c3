import type { ChildProcess } from 'node:child_process';

/** How long a bench's server child has to exit on SIGTERM before it is killed. */
const GRACE_MS = 10_000;

/**
 * Stops a child a bench started: SIGTERM, then SIGKILL if it has not exited within {@link GRACE_MS}; resolves once it
 * has exited (at once when it already had).
 */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
