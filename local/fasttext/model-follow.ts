/**
 * `model.bin` read while fastText writes it: fastText's command line saves its model into an ordinary file, exactly
 * as `fasttext supervised` run by hand does, and the job reads the bytes behind it as they land in the page cache, so
 * the archive and the validation scorer run while fastText is still saving (and writing `model.vec`), and the 403 MB
 * model (BlazingText's default 2,000,000 buckets × 50 floats) is read back from memory once, not from disk twice.
 *
 * Why not a named pipe (what this replaced, docs/research-notes-text.md section e): a pipe holds 64 KiB (pipe(7),
 * "Pipe capacity"; raising it needs fcntl F_SETPIPE_SZ, which Node cannot call), so fastText could save only as fast
 * as this process read and deflated, and reading 403 MB from a pipe 64 KiB at a time cost 0.6 CPU s against 0.05-0.15
 * for the same bytes read from the page cache in MiB reads (measured here); on two cores that CPU is taken from
 * fastText and the deflate. Written to a file, fastText's own save costs what it costs the command line.
 *
 * What fastText 0.9.2 does with the path (facebookresearch/fastText `src/main.cc`, `train`): it opens it once at the
 * start to check it can ("cannot be opened for saving"), which creates it empty, trains, then opens it again with
 * truncation in `FastText::saveModel` and writes the whole model, the input matrix in one 403 MB `writev` (seen
 * with strace). A reader is not held back until that call returns: the file grows as the call copies pages in, and a
 * read returns what is there (checked here: the job's first slice arrives while the `writev` is still running).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** Bytes asked for per read: 4 MiB keeps reads few (about 100 for the 403 MB model) and the buffer small. */
const FOLLOW_SLICE = 4 << 20;

/**
 * How long to wait before reading again once the reader has caught up with the writer. Waiting is polling: Linux
 * reports a change of the file (inotify's IN_MODIFY) when a write call returns, and fastText writes its input
 * matrix in one call that lasts the whole save, so nothing would wake a reader during it.
 */
const CAUGHT_UP_MS = 2;

/** The wait between reads while the file is still empty (fastText trains for seconds before it saves). */
const IDLE_MS = 20;

/**
 * The bytes of the file at `path` from its start, as they are written, in slices of up to 4 MiB; ends once
 * `writerExited` has settled and everything written before has been read. A file that does not exist yet is waited
 * for (the writer creates it). The consumer may stop early (for a model, once its header's size has arrived).
 *
 * Every slice is a view of one buffer that the next read overwrites: a consumer copies what it keeps before asking for
 * the next slice. A new buffer per read cost 0.5 s of system time for the 403 MB model in page faults (30,000 against
 * 3,400 with one buffer, measured with `/usr/bin/time`).
 */
export async function* followModel(path: string, writerExited: Promise<unknown>): AsyncGenerator<Buffer> {
  let exited = false;
  const onExit = (): void => {
    exited = true;
  };
  writerExited.then(onExit, onExit);
  let handle: FileHandle | undefined;
  const buffer = Buffer.allocUnsafe(FOLLOW_SLICE);
  try {
    let at = 0;
    for (;;) {
      // Taken before the read: a read that starts after the writer is gone sees all it wrote, so coming up empty
      // then is the end.
      const last = exited;
      handle ??= await openIfExists(path);
      if (handle !== undefined) {
        const { bytesRead } = await handle.read(buffer, 0, FOLLOW_SLICE, at);
        if (bytesRead > 0) {
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
          continue;
        }
      }
      if (last) return;
      await delay(at === 0 ? IDLE_MS : CAUGHT_UP_MS);
    }
  } finally {
    await handle?.close();
  }
}

/** The file opened for reading, or undefined when it does not exist yet. */
async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
