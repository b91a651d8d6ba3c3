import type { RunManifest } from '../manifest/run-manifest.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { PipelineSpec } from '../spec/load-spec.js';

/**
 * Why a scheduled run of `spec` should train nothing, or undefined when it should run: the spec says
 * `schedule.whenNoNewData: skip` (the default), a model is in production, and no curated object was written since the
 * run that trained it started, other than the ones that run wrote itself. Checked in NormalizeInput, before any
 * state starts a job: a skipped run goes straight to RecordRun, which records why and notifies.
 *
 * The production model is read from the lake, not the registry: the newest successful run manifest whose gate let the
 * candidate through (its `stages.evaluation.promote`), which is the model the newest promotion put in production. So
 * NormalizeInput needs S3 only, in both runtimes. A curated object written while that run was running (another
 * pipeline run ingesting at the same time) counts as new: a retraining too many, never a skipped one too many.
 */
export async function noNewDataReason(spec: PipelineSpec, store: ObjectStore, lakeBucket: string): Promise<string | undefined> {
  if ((spec.schedule?.whenNoNewData ?? 'skip') !== 'skip' || spec.training === undefined) return undefined;
  const production = await productionRun(spec.name, store, lakeBucket);
  if (!production) return undefined;
  const since = Date.parse(production.manifest.startedAt);
  const own = new Set(production.manifest.ingest.flatMap((file) => file.curatedKeys ?? []));
  const curated = await store.list(lakeBucket, lakeLayout.curatedPrefix(spec.name));
  const newer = curated.filter((o) => !own.has(o.key) && Date.parse(o.lastModified) > since);
  if (newer.length > 0) return undefined;
  const newest = curated.reduce((latest, o) => (o.lastModified > latest ? o.lastModified : latest), '');
  const version = production.version === undefined ? 'the production model' : `model v${production.version}`;
  return `no new data since ${version} (run ${production.manifest.runId}, trained on curated data up to ${newest || production.manifest.startedAt})`;
}

async function productionRun(pipeline: string, store: ObjectStore, lakeBucket: string): Promise<{ manifest: RunManifest; version: number | undefined } | undefined> {
  const prefix = lakeLayout.runManifestKey(pipeline, '');
  const listed = (await store.list(lakeBucket, prefix.slice(0, prefix.lastIndexOf('/') + 1))).filter((o) => o.key.endsWith('.json'));
  // Newest first: the first promoted run found is the production model's.
  listed.sort((a, b) => (a.lastModified < b.lastModified ? 1 : a.lastModified > b.lastModified ? -1 : 0));
  for (const object of listed) {
    const text = await store.getText({ bucket: lakeBucket, key: object.key });
    if (text === undefined) continue;
    let manifest: RunManifest;
    try {
      manifest = JSON.parse(text) as RunManifest;
    } catch {
      continue;
    }
    const evaluation = manifest.stages.evaluation as { promote?: unknown; candidate?: { version?: unknown } } | undefined;
    if (manifest.status !== 'SUCCEEDED' || evaluation?.promote !== true) continue;
    const version = typeof evaluation.candidate?.version === 'number' ? evaluation.candidate.version : undefined;
    return { manifest, version };
  }
  return undefined;
}
