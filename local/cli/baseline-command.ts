import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipelineSpec } from '../../core/spec/load-spec.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { projectRoot } from '../runtime/project-root.js';

/**
 * `sluice baseline --pipeline NAME|PATH [--lake DIR] [--out FILE]`: suggests constraints (Model Monitor's
 * `constraints.json`, docs/data-quality.md) from the pipeline's curated table as it is, the merged profile of its
 * sources, and writes them where every later ingest reads them: `profiles/<pipeline>/baseline/constraints.json` in the
 * lake, or `--out FILE` (e.g. `pipelines/<name>/constraints.json`, to keep and edit). Returns the exit code.
 */
export async function baselineCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { pipeline: { type: 'string' }, lake: { type: 'string' }, out: { type: 'string' } } });
  if (!values.pipeline) {
    process.stderr.write('sluice baseline: give --pipeline NAME|PATH\n');
    return 2;
  }
  const spec = loadPipelineSpec(values.pipeline, path.join(projectRoot(), 'pipelines'));
  const lake = path.resolve(values.lake ?? 'sluice-lake');
  const store = new FolderObjectStore(lake);
  const { suggestTableConstraints } = await import('../../core/quality/training-quality.js');
  const suggested = await suggestTableConstraints(store, LOCAL_LAKE_BUCKET, spec.name);
  if (!suggested) {
    process.stderr.write(`sluice baseline: pipeline "${spec.name}" has no profiled data in ${lake}: run a file first (sluice run FILE --pipeline ${spec.name})\n`);
    return 1;
  }
  const text = `${JSON.stringify(suggested.constraints, null, 2)}\n`;
  const { profileLayout } = await import('../../core/quality/profile-layout.js');
  const key = `${profileLayout.baselinePrefix(spec.name)}${profileLayout.CONSTRAINTS}`;
  const target = values.out ? path.resolve(values.out) : store.pathOf({ bucket: LOCAL_LAKE_BUCKET, key });
  if (values.out) await writeFile(target, text);
  else await store.putText({ bucket: LOCAL_LAKE_BUCKET, key }, text);
  process.stdout.write(`suggested constraints for ${spec.name} (${suggested.constraints.features.length} columns, ${suggested.rows} rows profiled): ${target}\n`);
  if (!values.out) process.stdout.write(`to keep and edit them, copy the file to ${path.join(spec.dir, profileLayout.CONSTRAINTS)}\n`);
  return 0;
}
