/**
 * `model.bin` received through a named pipe instead of a file: fastText's command line writes `<output>.bin` where
 * it is told to, so when that path is a FIFO its 403 MB model (BlazingText's default 2,000,000 buckets × 50 floats)
 * streams straight into the archive writer and the validation scorer, which then run while fastText is still saving
 * (and writing `model.vec`), instead of after it, and the model is never written to disk nor read back.
 *
 * What fastText 0.9.2 does with the path (facebookresearch/fastText `src/main.cc`, `train`): it opens it once at the
 * start ("cannot be opened for saving" check) and closes it without writing, trains, then opens it again in
 * `FastText::saveModel` and writes the whole model. A FIFO reader therefore sees two writers come and go; the model is
 * on the first connection that carries bytes. Linux FIFO semantics relied on (pipe(7), fifo(7)): opening the read end
 * with `O_NONBLOCK` succeeds with no writer, and a reader sees end-of-file once a writer that connected has closed
 * (a reader opened later waits for the next writer); a writer's `open` blocks until there is a reader.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { FastTextError } from './errors.js';

const execFileAsync = promisify(execFile);

/**
 * Creates a FIFO at `path` with coreutils' `mkfifo` (Node has no mkfifo call).
 * @throws FastTextError when it cannot be made
 */
export async function makeModelPipe(path: string): Promise<void> {
  try {
    await execFileAsync('mkfifo', ['-m', '0600', path]);
  } catch (error) {
    throw new FastTextError(`Could not make the named pipe ${path} for fastText's model (mkfifo from coreutils)`, { cause: error });
  }
}

/**
 * The bytes written into the FIFO at `path` by the first writer that writes any, as they arrive; ends when that
 * writer closes it. `writerExited` settles when the writing process is gone: a reader still waiting for a writer then
 * ends with nothing (a process that failed before saving its model must not leave the reader waiting).
 */
export async function* receiveModel(path: string, writerExited: Promise<unknown>): AsyncGenerator<Buffer> {
  let exited = false;
  let waiting: Socket | undefined;
  // A writer that connects and leaves at once makes a waiting reader see end-of-file, with anything still in the
  // pipe read first; with no reader left, opening the write end fails (ENXIO) and there is nothing to wake.
  const wake = (): void => {
    try {
      closeSync(openSync(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
    } catch {
      // no reader: nothing waits
    }
  };
  const onExit = (): void => {
    exited = true;
    if (waiting !== undefined) wake();
  };
  writerExited.then(onExit, onExit);
  while (!exited) {
    // Opening the read end with O_NONBLOCK returns at once; the socket then reads through the event loop.
    const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const socket = new Socket({ fd, readable: true, writable: false });
    waiting = socket;
    let bytes = 0;
    try {
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        yield chunk;
      }
    } finally {
      waiting = undefined;
      socket.destroy();
    }
    if (bytes > 0) return;
  }
}
