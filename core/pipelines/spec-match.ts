import { PipelineSpecError } from '../errors.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { SpecCatalog } from './spec-catalog.js';

// Apart from spec-catalog.ts, whose folder catalog reads specs (yaml, zod): a run whose specs are already loaded, and the
// step that matches an upload to its pipeline, load no parser (local/runtime/validated-spec.ts, issue 16).

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
