import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { FacetBias } from './bias.js';
import { biasMetrics, describeFacet, mergeBiasCounts } from './bias.js';
import { suggestConstraints } from './constraints.js';
import type { IngestQuality } from './ingest-quality-schema.js';
import { putJson, readJson, readLocalConstraints } from './ingest-quality.js';
import { mergeStatistics } from './merge-statistics.js';
import type { Constraints, Statistics } from './model-monitor-formats.js';
import { profileLayout } from './profile-layout.js';

/** What a model version records of its training data, and what in it stands against promoting the model. */
export interface TrainingQuality {
  /** Lineage entries: where the training set's profile, bias metrics and suggested constraints are. */
  lineage: Record<string, string>;
  /** The bias metrics as model metrics, `bias:<facet column>:<metric>` (undefined metrics left out). */
  metrics: Record<string, number>;
  /** Why the gate must not promote: violations whose effect is `block`, bias metrics over their threshold. */
  blocking: string[];
}

/**
 * Records the training set's profile and bias metrics with a model version (called by EvaluateModel):
 *
 * 1. Merges the profiles and bias counts of the sources the curated table holds (each ingest wrote its source's, see
 *    `writeSourceProfile`; a source counts when its commit record is in the lake) into the table's profile.
 * 2. Writes them to `profiles/<pipeline>/models/<runId>/` (`statistics.json`, `bias.json`).
 * 3. The pipeline's first model (no constraints beside `pipeline.yml` nor in the lake) writes suggested constraints
 *    to `profiles/<pipeline>/baseline/constraints.json`, which the user may copy beside `pipeline.yml` and edit.
 * 4. Gathers what blocks promotion: this run's ingest findings whose effect is `block`, and bias metrics whose
 *    absolute value exceeds the facet's threshold.
 */
export async function recordTrainingQuality(store: ObjectStore, bucket: string, spec: PipelineSpec, runId: string): Promise<TrainingQuality> {
  const lineage: Record<string, string> = {};
  const metrics: Record<string, number> = {};
  const blocking: string[] = [];
  if (!spec.quality.profile) return { lineage, metrics, blocking };

  const { profiles, biasParts } = await sourceProfiles(store, bucket, spec.name);
  const statistics = mergeStatistics(profiles);
  const modelPrefix = profileLayout.modelPrefix(spec.name, runId);
  if (statistics) {
    const key = `${modelPrefix}${profileLayout.STATISTICS}`;
    await putJson(store, bucket, key, statistics);
    lineage.trainingProfile = `s3://${bucket}/${key}`;
  }

  const facets: FacetBias[] = [];
  for (const facet of spec.quality.facets) {
    const group = describeFacet(facet);
    // Counts of a facet defined otherwise (the spec changed since) are not mixed in.
    const parts = biasParts.map((p) => p.facets.find((f) => f.facet === facet.column && f.group === group && f.groupColumn === facet.group)?.counts ?? []);
    const counts = mergeBiasCounts(parts);
    const merged: FacetBias = { facet: facet.column, group, ...(facet.group ? { groupColumn: facet.group } : {}), metrics: biasMetrics(counts, facet.group !== undefined), counts };
    facets.push(merged);
    for (const [name, value] of Object.entries(merged.metrics)) {
      if (value === null) continue;
      metrics[`bias:${facet.column}:${name}`] = value;
      const threshold = facet.thresholds?.[name as keyof typeof facet.thresholds];
      if (threshold !== undefined && Math.abs(value) > threshold) {
        blocking.push(`bias: ${name} of ${group} is ${value.toFixed(4)}, beyond its threshold ${threshold}`);
      }
    }
  }
  if (facets.length > 0) {
    const key = `${modelPrefix}${profileLayout.BIAS}`;
    await putJson(store, bucket, key, { label: spec.quality.label, facets });
    lineage.bias = `s3://${bucket}/${key}`;
  }

  const baselinePrefix = profileLayout.baselinePrefix(spec.name);
  const constraintsKey = `${baselinePrefix}${profileLayout.CONSTRAINTS}`;
  if (statistics && !readLocalConstraints(spec) && (await store.getText({ bucket, key: constraintsKey })) === undefined) {
    await putJson(store, bucket, constraintsKey, suggestConstraints(statistics));
    lineage.suggestedConstraints = `s3://${bucket}/${constraintsKey}`;
  }

  const runPrefix = profileLayout.runPrefix(spec.name, runId);
  for (const object of await store.list(bucket, runPrefix)) {
    if (!object.key.endsWith(`/${profileLayout.QUALITY}`)) continue;
    const quality = await readJson<IngestQuality>(store, bucket, object.key);
    for (const finding of quality?.findings ?? []) {
      if (finding.effect === 'block') blocking.push(`data quality: ${finding.kind} on ${finding.features.join(', ')} (s3://${bucket}/${quality?.violationsKey ?? ''})`);
    }
  }
  return { lineage, metrics, blocking };
}

/** The profiles and bias counts of the sources the curated table holds (a source counts when its commit record is there). */
export async function sourceProfiles(store: ObjectStore, bucket: string, pipeline: string): Promise<{ profiles: Statistics[]; biasParts: { facets: FacetBias[] }[] }> {
  const recordKey = lakeLayout.sourceRecordKey(pipeline, '');
  const committed = new Set(
    (await store.list(bucket, recordKey.slice(0, recordKey.lastIndexOf('/') + 1))).map((o) => o.key.slice(o.key.lastIndexOf('/') + 1).replace(/\.json$/, '')),
  );
  const sourcesPrefix = profileLayout.sourcesPrefix(pipeline);
  const hashes = [...new Set((await store.list(bucket, sourcesPrefix)).map((o) => o.key.slice(sourcesPrefix.length).split('/')[0] ?? ''))].filter((h) => committed.has(h)).sort();
  const profiles: Statistics[] = [];
  const biasParts: { facets: FacetBias[] }[] = [];
  for (const hash of hashes) {
    const prefix = profileLayout.sourcePrefix(pipeline, hash);
    const stats = await readJson<Statistics>(store, bucket, `${prefix}${profileLayout.STATISTICS}`);
    if (stats) profiles.push(stats);
    const bias = await readJson<{ facets: FacetBias[] }>(store, bucket, `${prefix}${profileLayout.BIAS}`);
    if (bias) biasParts.push(bias);
  }
  return { profiles, biasParts };
}

/** Suggested constraints from the curated table as it is (`sluice baseline`): the merged profile of its sources. */
export async function suggestTableConstraints(store: ObjectStore, bucket: string, pipeline: string): Promise<{ constraints: Constraints; rows: number } | undefined> {
  const statistics = mergeStatistics((await sourceProfiles(store, bucket, pipeline)).profiles);
  return statistics ? { constraints: suggestConstraints(statistics), rows: statistics.dataset.item_count } : undefined;
}

/**
 * Makes a promoted model's training profile the baseline every later ingest is checked against for drift: the
 * production model's training data.
 */
export async function adoptTrainingProfile(store: ObjectStore, bucket: string, pipeline: string, runId: string): Promise<void> {
  const text = await store.getText({ bucket, key: `${profileLayout.modelPrefix(pipeline, runId)}${profileLayout.STATISTICS}` });
  if (text !== undefined) await store.putText({ bucket, key: `${profileLayout.baselinePrefix(pipeline)}${profileLayout.STATISTICS}` }, text, 'application/json');
}
