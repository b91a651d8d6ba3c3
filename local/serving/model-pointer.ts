/**
 * The model pointer: a small JSON file naming the model the local endpoint should serve,
 * `{ "version": N, "modelArtifact": "/path/model.tar.gz", ... }`. The deploy step writes it (atomically, with
 * {@link writeModelPointer}); the endpoint follows it and swaps models when it changes. Other fields (run id,
 * model package, metrics) are kept as they are and ignored by the endpoint.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ModelPointerError } from './errors.js';

/** The pointer's contents. A relative `modelArtifact` is resolved against the pointer file's folder. */
export interface ModelPointer {
  /** Increases with every deployment; the endpoint reports it on `GET /ping`. */
  readonly version: number;
  /** Path of the `model.tar.gz` (or bare `xgboost-model` file) to serve. */
  readonly modelArtifact: string;
  /** Anything else the deploy step records. */
  readonly [field: string]: unknown;
}

/**
 * What is wrong with a parsed pointer document, field by field. Checked by hand rather than with a zod schema: the
 * pointer has two fields, and zod is the largest module the background serving process would otherwise load (about a
 * third of its start-up, measured with a require timer).
 */
function pointerProblems(document: unknown): string[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return ['(root): expected an object'];
  const { version, modelArtifact } = document as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    problems.push(`version: expected a non-negative integer, got ${JSON.stringify(version) ?? 'nothing'}`);
  }
  if (typeof modelArtifact !== 'string' || modelArtifact === '') {
    problems.push(`modelArtifact: expected a non-empty string, got ${JSON.stringify(modelArtifact) ?? 'nothing'}`);
  }
  return problems;
}

/**
 * Validates pointer JSON text.
 * @throws ModelPointerError naming `source` and what is wrong
 */
export function parseModelPointer(text: string, source: string): ModelPointer {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ModelPointerError(`${source} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const problems = pointerProblems(document);
  if (problems.length > 0) {
    throw new ModelPointerError(
      `${source} is not a model pointer ({ "version": N, "modelArtifact": "..." }): ${problems.join('; ')}`,
    );
  }
  return document as ModelPointer;
}

/**
 * Reads and validates a pointer file. Synchronous: the file is a few hundred bytes and the endpoint reads it
 * between requests.
 * @throws ModelPointerError when the file is missing or invalid
 */
export function readModelPointer(file: string): ModelPointer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ModelPointerError(`Cannot read the model pointer ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseModelPointer(text, file);
}

/** The artifact path a pointer names, absolute (relative paths are taken from the pointer file's folder). */
export function resolveModelArtifact(pointerFile: string, pointer: ModelPointer): string {
  return path.resolve(path.dirname(pointerFile), pointer.modelArtifact);
}

/**
 * Writes a pointer file atomically: the JSON goes to a temporary file in the same folder, is flushed to disk, then
 * renamed over `file`, so a reader sees the old pointer or the new one, never half of one. The folder is created
 * if missing.
 * @throws ModelPointerError when `pointer` is not a valid pointer
 */
export async function writeModelPointer(file: string, pointer: ModelPointer): Promise<void> {
  const text = `${JSON.stringify(pointer, null, 2)}\n`;
  parseModelPointer(text, 'the pointer to write');
  const folder = path.dirname(file);
  await mkdir(folder, { recursive: true });
  const temporary = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
