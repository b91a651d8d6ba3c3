import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipelineSpecError } from '../errors.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { loadPipelineSpec } from '../spec/load-spec.js';

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
    all: () =>
      readdirSync(pipelinesDir)
        .filter((entry) => statSync(path.join(pipelinesDir, entry, 'pipeline.yml'), { throwIfNoEntry: false })?.isFile())
        .sort()
        .map(get),
  };
}

/** A catalog over specs already loaded (the local runner with `--pipeline PATH`, tests). */
export function fixedSpecCatalog(specs: readonly PipelineSpec[]): SpecCatalog {
  return {
    get(name) {
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new PipelineSpecError(`No pipeline "${name}"; known: ${specs.map((s) => s.name).join(', ') || 'none'}`);
      return spec;
    },
    all: () => specs,
  };
}

/** Why an object does or does not start a run of some pipeline. */
export type PipelineMatch = { spec: PipelineSpec } | { spec?: undefined; reason: string };

/** The pipeline whose drop prefix holds `key` and which takes files with its ending. */
export function matchPipeline(specs: readonly PipelineSpec[], key: string): PipelineMatch {
  const owner = specs.filter((s) => key.startsWith(s.source.prefix)).sort((a, b) => b.source.prefix.length - a.source.prefix.length)[0];
  if (!owner) return { reason: `no pipeline watches the prefix of "${key}"` };
  if (key.endsWith('/')) return { reason: `"${key}" is a folder marker` };
  const lower = key.toLowerCase();
  if (!owner.source.suffixes.some((suffix) => lower.endsWith(suffix))) {
    return { reason: `pipeline "${owner.name}" takes ${owner.source.suffixes.join(', ')} files, not "${key}"` };
  }
  return { spec: owner };
}
