import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipelineSpecError } from '../errors.js';
import type { DeepReadonly, PipelineSpec } from './load-spec.js';

// This module loads no parser (no yaml, no zod): a local run whose spec passed validation before finds its file and
// reads its record with it alone (local/runtime/validated-spec.ts).

const SPEC_FILE = 'pipeline.yml';

/**
 * Resolves a pipeline reference to its spec file: a name under `pipelinesDir`, a folder holding `pipeline.yml`,
 * or the YAML file itself.
 */
export function resolveSpecFile(nameOrPath: string, pipelinesDir: string): string {
  const candidates = [nameOrPath, path.join(nameOrPath, SPEC_FILE), path.join(pipelinesDir, nameOrPath, SPEC_FILE)];
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return path.resolve(candidate);
  }
  throw new PipelineSpecError(
    `No pipeline "${nameOrPath}": looked for ${candidates.map((c) => path.resolve(c)).join(', ')}`,
  );
}

/** The pipelines under `pipelinesDir`: the names of its folders that hold a `pipeline.yml`, sorted. */
export function pipelineFolderNames(pipelinesDir: string): string[] {
  return readdirSync(pipelinesDir)
    .filter((entry) => statSync(path.join(pipelinesDir, entry, SPEC_FILE), { throwIfNoEntry: false })?.isFile())
    .sort();
}

/**
 * The files besides the spec itself whose content its validation reads (load-spec.ts): the feature query, which the
 * split and scoring rules read for the label's column. A rule that reads another file must add it here, or a
 * validation record (local/runtime/validated-spec.ts) would not notice that file change.
 */
export function specInputFiles(spec: Pick<PipelineSpec, 'dir'> & { readonly features?: { readonly query: string } | undefined }): string[] {
  return spec.features ? [path.resolve(spec.dir, spec.features.query)] : [];
}

/** Freezes a value and everything it holds: specs are shared by every step and must not be changed by any of them. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/**
 * The spec file as the user knows it, for messages that ask them to change a setting: relative to the working
 * directory when it lies below it (`pipelines/churn/pipeline.yml`), else the absolute path.
 */
export function specFileForUser(spec: Pick<PipelineSpec, 'file'>): string {
  const relative = path.relative(process.cwd(), spec.file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : spec.file;
}
