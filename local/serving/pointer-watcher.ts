/**
 * Tells when a pointer file may have changed: `fs.watch` on its folder (a rename over the file replaces its inode,
 * so watching the file itself would go deaf after the first deployment), plus a poll of its `stat` as the fallback
 * for file systems where `fs.watch` reports nothing (network mounts, some containers) and for a folder that does
 * not exist yet. Both only call `onChange`; the caller reads the file and decides whether it really changed.
 */
import { statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';

/** How to watch. */
export interface PointerWatcherOptions {
  readonly pointerFile: string;
  /** Called (debounced) when the file may have changed. */
  readonly onChange: () => void;
  /** Poll period in ms (default 1000). */
  readonly pollIntervalMs?: number;
  /** Wait after a watch event before calling `onChange`, to merge the burst of events one write makes (default 10). */
  readonly debounceMs?: number;
}

/** A running watch; `close` stops it. */
export interface PointerWatcher {
  close(): void;
}

/** Starts watching. Timers and the watcher are unref'd: they never keep the process alive by themselves. */
export function watchPointerFile(options: PointerWatcherOptions): PointerWatcher {
  const folder = path.dirname(path.resolve(options.pointerFile));
  const name = path.basename(options.pointerFile);
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let lastSignature = signature(options.pointerFile);

  const fire = (): void => {
    if (closed) return;
    lastSignature = signature(options.pointerFile);
    options.onChange();
  };
  const schedule = (): void => {
    if (closed || debounce !== undefined) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      fire();
    }, options.debounceMs ?? 10);
    debounce.unref();
  };
  const startWatching = (): void => {
    if (watcher !== undefined || closed) return;
    try {
      watcher = watch(folder, { persistent: false }, (_event, filename) => {
        // Some platforms omit the name; then any change in the folder may be ours.
        if (filename === null || filename === name) schedule();
      });
      watcher.on('error', () => {
        // The folder went away (or the watch broke): the poll keeps going and re-arms the watch later.
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
  };

  startWatching();
  const poll = setInterval(() => {
    startWatching();
    if (signature(options.pointerFile) !== lastSignature) fire();
  }, options.pollIntervalMs ?? 1000);
  poll.unref();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (debounce !== undefined) clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
    },
  };
}

/** What changes when the file is replaced or rewritten; `missing` when it is absent. */
function signature(file: string): string {
  try {
    const info = statSync(file, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}`;
  } catch {
    return 'missing';
  }
}
