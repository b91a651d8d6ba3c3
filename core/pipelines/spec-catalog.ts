import type { PipelineSpec } from '../spec/load-spec.js';
import { loadPipelineSpec } from '../spec/load-spec.js';
import { pipelineFolderNames } from '../spec/spec-file.js';

/** Finds pipeline specs by name, and the pipeline an uploaded object belongs to. */
export interface SpecCatalog {
  get(name: string): PipelineSpec;
  all(): readonly PipelineSpec[];
}

/** A catalog over a folder of `<name>/pipeline.yml` files; specs are read once and cached. */
export function folderSpecCatalog(pipelinesDir: string): SpecCatalog {
  const cache = new Map<string, PipelineSpec>();
  const get = (name: string): PipelineSpec => {
    let spec = cache.get(name);
    if (!spec) {
      spec = loadPipelineSpec(name, pipelinesDir);
      cache.set(name, spec);
    }
    return spec;
  };
  return {
    get,
    all: () => pipelineFolderNames(pipelinesDir).map(get),
  };
}

// In a module of their own, which loads no parser; re-exported here for the callers that import them from this one.
export { fixedSpecCatalog, matchPipeline } from './spec-match.js';
export type { PipelineMatch } from './spec-match.js';
