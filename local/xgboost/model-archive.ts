/**
 * `model.tar.gz` as SageMaker writes it for the XGBoost algorithm: a gzip tarball of the container's
 * `/opt/ml/model` folder, which holds one file, `xgboost-model`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { ModelFormatError } from './errors.js';
import { MODEL_ARCHIVE_NAME, MODEL_FILE_NAME } from './model-files.js';

export { MODEL_FILE_NAME } from './model-files.js';

/** The modification time every archive entry gets (pacote's choice: zip tools are confused by the epoch). */
const ARCHIVE_MTIME = new Date('1985-10-26T08:15:00.000Z');

/** Writes `<outputDir>/model.tar.gz` holding `xgboost-model` with the given bytes; returns the archive path. */
export async function writeModelArchive(outputDir: string, modelBytes: Uint8Array): Promise<string> {
  const staging = await mkdtemp(join(outputDir, '.model-staging-'));
  try {
    await writeFile(join(staging, MODEL_FILE_NAME), modelBytes);
    const archive = join(outputDir, MODEL_ARCHIVE_NAME);
    // Byte-identical archives for identical models: `portable` drops uid, gid, owner names, atime and ctime but
    // keeps mtime, so mtime is pinned too (node-tar's `mtime` option, as npm's pacote does for reproducible
    // packages: https://isaacs.github.io/node-tar/interfaces/options.TarOptions.html and pacote's
    // lib/util/tar-create-options.js). Node's gzip header carries no time or name (MTIME 0).
    await tar.create({ gzip: true, file: archive, cwd: staging, portable: true, mtime: ARCHIVE_MTIME }, [MODEL_FILE_NAME]);
    return archive;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Reads the model bytes out of a `model.tar.gz` (the `xgboost-model` entry, or the only regular file) or returns
 * a bare model file's bytes. Synchronous: a serving process loads its model once, before taking traffic.
 * @throws ModelFormatError naming the file when an archive is truncated or corrupt, or has no model file in it
 */
export function readModelBytes(path: string): Buffer {
  const bytes = readFileSync(path);
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzip) return bytes;
  const files = new Map<string, Buffer>();
  try {
    tar.list({
      file: path,
      sync: true,
      // Without `strict`, tar only warns about a damaged archive and hands back whatever it could read.
      strict: true,
      onReadEntry: (entry) => {
        if (entry.type !== 'File') return;
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => files.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ModelFormatError(`${path}: the model archive is truncated or corrupt (${reason}); retrain or restore the file`, { cause });
  }
  const named = [...files.entries()].find(([name]) => basename(name) === MODEL_FILE_NAME);
  if (named) return named[1];
  if (files.size === 1) return [...files.values()][0] ?? Buffer.alloc(0);
  throw new ModelFormatError(
    `${path} holds no ${MODEL_FILE_NAME} file (found: ${[...files.keys()].join(', ') || 'no files'})`,
  );
}
