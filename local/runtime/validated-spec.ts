import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { deepFreeze, pipelineFolderNames, resolveSpecFile, specInputFiles } from '../../core/spec/spec-file.js';

/** A validated spec, and whether it was validated now or its record from an earlier validation was used. */
export interface ValidatedSpec {
  readonly spec: PipelineSpec;
  readonly validation: 'validated' | 'cached';
}

/** What {@link loadValidatedSpec} may be told besides the spec. */
export interface ValidatedSpecOptions {
  /**
   * The files whose code decides a spec's validation (default: the module files `core/spec/load-spec.js` loaded, read
   * from `require.cache` once it has run; for an installed package, its package.json). Called after a validation.
   */
  readonly codeFiles?: () => readonly string[];
}

/** One spec's validation record: everything the validation depended on, and the spec it produced. */
interface SpecRecord {
  readonly format: 1;
  readonly node: string;
  readonly file: string;
  /** sha256 of the spec text. */
  readonly text: string;
  /** The other files the validation read (specInputFiles), with the sha256 of their content, `null` when absent. */
  readonly inputs: readonly (readonly [string, string | null])[];
  /** The code of the validation: each file with its modification time and size. */
  readonly code: readonly (readonly [string, number, number])[];
  readonly spec: PipelineSpec;
}

/**
 * `loadPipelineSpec`, once per version of a spec: a spec that passed validation is recorded in `cacheDir` with what the
 * validation depended on (the spec's text, the files it read, the Node version, the code that validated it); a later
 * load whose inputs are all unchanged takes the recorded spec and loads neither the YAML parser nor the schema
 * (about 0.1 s of a run's start, issue 16), as validated-machine.ts does for the workflow definition. Anything changed,
 * or no record, or no `cacheDir`: the spec is validated as by `loadPipelineSpec`, and recorded once valid. An invalid
 * spec throws as before and is never recorded; a record that cannot be written only costs the next load a validation.
 */
export async function loadValidatedSpec(nameOrPath: string, pipelinesDir: string, cacheDir: string | undefined, options: ValidatedSpecOptions = {}): Promise<ValidatedSpec> {
  const file = resolveSpecFile(nameOrPath, pipelinesDir);
  const text = readFileSync(file, 'utf8');
  const recordFile = cacheDir === undefined ? undefined : path.join(cacheDir, `${sha256(file)}.json`);
  const recorded = recordFile === undefined ? undefined : readRecord(recordFile);
  if (recorded !== undefined && isCurrent(recorded, file, text)) return { spec: deepFreeze(recorded.spec), validation: 'cached' };

  const { parsePipelineSpec } = await import('../../core/spec/load-spec.js');
  const spec = parsePipelineSpec(text, file);
  const code = (options.codeFiles ?? validationCodeFiles)();
  // With no code to compare a later load against, a record could outlive a change of the rules: keep none.
  if (recordFile !== undefined && code.length > 0) {
    writeRecord(recordFile, {
      format: 1,
      node: process.version,
      file,
      text: sha256(text),
      inputs: specInputFiles(spec).map((input) => [input, contentHash(input)] as const),
      code: code.map((codeFile) => {
        const info = statSync(codeFile);
        return [codeFile, info.mtimeMs, info.size] as const;
      }),
      spec,
    });
  }
  return { spec, validation: 'validated' };
}

/**
 * The catalog of the pipelines under `pipelinesDir` (the folders holding a pipeline.yml, as `folderSpecCatalog` lists
 * them), each spec had through {@link loadValidatedSpec}: a run reads every built-in spec (its ingest matches a file to
 * its pipeline by prefix), so without this a run of a built-in pipeline would load the parser for the others anyway.
 * The list is taken once, when the run starts; a name it lacks fails with PipelineSpecError, as in `folderSpecCatalog`.
 */
export async function validatedFolderCatalog(pipelinesDir: string, cacheDir: string | undefined, options: ValidatedSpecOptions = {}): Promise<SpecCatalog> {
  const specs: PipelineSpec[] = [];
  for (const name of pipelineFolderNames(pipelinesDir)) specs.push((await loadValidatedSpec(name, pipelinesDir, cacheDir, options)).spec);
  const { fixedSpecCatalog } = await import('../../core/pipelines/spec-match.js');
  return fixedSpecCatalog(specs);
}

/** The folder of the project's spec validation records: `<projectRoot>/.sluice/validated-specs` (git-ignored). */
export function specValidationCacheDir(projectRoot: string): string {
  return path.join(projectRoot, '.sluice', 'validated-specs');
}

function isCurrent(record: SpecRecord, file: string, text: string): boolean {
  if (record.format !== 1 || record.node !== process.version || record.file !== file || record.text !== sha256(text)) return false;
  if (!record.inputs.every(([input, hash]) => contentHash(input) === hash)) return false;
  return record.code.every(([codeFile, mtimeMs, size]) => {
    const info = statSync(codeFile, { throwIfNoEntry: false });
    return info !== undefined && info.mtimeMs === mtimeMs && info.size === size;
  });
}

/**
 * The code that validates a spec in this process: load-spec.js and every module it loaded, found through
 * `require.cache` (a module's `children` are the modules it required); a file of an installed package stands for its
 * package.json (its version). Empty when load-spec.js is not in the cache (a test runner's own module registry).
 */
function validationCodeFiles(): string[] {
  let entry: NodeJS.Module | undefined;
  try {
    entry = require.cache[require.resolve('../../core/spec/load-spec.js')];
  } catch {
    return [];
  }
  if (entry === undefined || entry.children.length === 0) return [];
  const files = new Set<string>();
  const seen = new Set<string>();
  const pending = [entry];
  for (let module = pending.pop(); module !== undefined; module = pending.pop()) {
    if (seen.has(module.filename)) continue;
    seen.add(module.filename);
    files.add(packageManifestOf(module.filename) ?? module.filename);
    pending.push(...module.children);
  }
  return [...files].sort();
}

/** The package.json of the installed package holding `file`, or undefined for a file of the project. */
function packageManifestOf(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split(path.sep);
  const name = parts[0]?.startsWith('@') === true ? parts.slice(0, 2) : parts.slice(0, 1);
  return path.join(file.slice(0, at + marker.length), ...name, 'package.json');
}

function readRecord(file: string): SpecRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SpecRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(file: string, record: SpecRecord): void {
  // Written aside and renamed into place: a load running at the same time reads the old record or the new, never half.
  const partial = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(partial, `${JSON.stringify(record)}\n`);
    renameSync(partial, file);
  } catch {
    // Only the next load's time is lost.
  }
}

function contentHash(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
