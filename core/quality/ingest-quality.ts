import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDbSession } from '../duckdb/open-duckdb.js';
import { PipelineSpecError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { FacetBias } from './bias.js';
import { facetBias, facetCondition, parseBiasCounts } from './bias.js';
import type { Drift } from './constraints.js';
import { checkStatistics } from './constraints.js';
import type { Constraints, Statistics, Violation } from './model-monitor-formats.js';
import type { KnownRange } from './profile.js';
import { profileWith } from './profile.js';
import { profileLayout } from './profile-layout.js';
import type { IngestQuality } from './ingest-quality-schema.js';
import type { ViolationEffect } from './quality-spec.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';

export type { IngestQuality } from './ingest-quality-schema.js';

/** What {@link checkIngestQuality} needs. */
export interface IngestQualityInput {
  session: DuckDbSession;
  /** The rows the contract accepted (a table or a parenthesised SELECT of the session). */
  relation: string;
  spec: PipelineSpec;
  store: ObjectStore;
  bucket: string;
  runId: string;
  sourceHash: string;
  /** The file's columns, by their contract names, and the columns it had that the contract does not declare. */
  fileColumns: readonly string[];
  extraColumns: readonly string[];
  /** Numbers' min and max when already known (the curated write's statistics): the profile then reads the rows once. */
  ranges?: ReadonlyMap<string, KnownRange>;
  logger: Logger;
}

const STRENGTH: Record<ViolationEffect | 'none', number> = { none: 0, warn: 1, block: 2, quarantine: 3 };

/**
 * Profiles one file's accepted rows and checks them (the ingest's data-quality pass, docs/data-quality.md):
 *
 * 1. Profiles the rows with the DuckDB session that validated them ({@link profileWith}) and, in the same scan, counts
 *    the rows behind each declared facet's bias metrics ({@link biasCountsAggregate}).
 * 2. Reads the constraints: `constraints.json` beside `pipeline.yml` when the user keeps one, else the ones suggested
 *    with the pipeline's first model; and the baseline: the training profile of the model the gate last promoted.
 * 3. Checks the profile against both ({@link checkStatistics}), and gives each violation the effect the spec's
 *    `quality.effects` names for its kind.
 * 4. Writes `statistics.json`, `constraint_violations.json` and a summary under `profiles/<pipeline>/runs/<runId>/`;
 *    the caller writes the source's profile (the training set's part) once it knows the rows are kept
 *    ({@link writeSourceProfile}).
 */
export async function checkIngestQuality(input: IngestQualityInput): Promise<{ quality: IngestQuality; statistics: Statistics; bias: FacetBias[]; violations: Violation[]; drift: Drift[] }> {
  const { spec, store, bucket } = input;
  const columns = spec.contract.columns.map((c) => ({ name: c.name, type: c.type, fewValues: c.allowed !== undefined }));
  const label = spec.quality.label;
  const facets = label ? spec.quality.facets : [];
  const extra = label ? Object.fromEntries(facets.map((facet, k) => [`bias${k}`, biasCountsAggregate(label, facet)])) : {};
  const profiled = await profileWith(input.session, input.relation, columns, { ...(input.ranges ? { ranges: input.ranges } : {}), extra });
  const statistics = profiled.statistics;
  const bias: FacetBias[] = facets.map((facet, k) => facetBias(facet, parseBiasCounts(histogramRows(profiled.extra[`bias${k}`]))));

  const baselinePrefix = profileLayout.baselinePrefix(spec.name);
  const local = readLocalConstraints(spec);
  const lakeConstraintsKey = `${baselinePrefix}${profileLayout.CONSTRAINTS}`;
  const constraints = local?.constraints ?? (await readJson<Constraints>(store, bucket, lakeConstraintsKey));
  const baselineKey = `${baselinePrefix}${profileLayout.STATISTICS}`;
  const baseline = await readJson<Statistics>(store, bucket, baselineKey);
  const { violations, drift } = checkStatistics({
    current: statistics,
    fileColumns: input.fileColumns,
    extraColumns: input.extraColumns,
    ...(constraints ? { constraints } : {}),
    ...(baseline ? { baseline } : {}),
  });

  const kinds = [...new Set(violations.map((v) => v.constraint_check_type))];
  const findings = kinds.map((kind) => ({
    kind,
    features: violations.filter((v) => v.constraint_check_type === kind).map((v) => v.feature_name),
    effect: spec.quality.effects[kind],
  }));
  const effect = findings.reduce<ViolationEffect | 'none'>((strongest, f) => (STRENGTH[f.effect] > STRENGTH[strongest] ? f.effect : strongest), 'none');
  const prefix = profileLayout.ingestPrefix(spec.name, input.runId, input.sourceHash);
  const statisticsKey = `${prefix}${profileLayout.STATISTICS}`;
  const violationsKey = `${prefix}${profileLayout.VIOLATIONS}`;
  const quality: IngestQuality = {
    statisticsKey,
    violationsKey,
    checkedAgainst: {
      ...(local ? { constraints: local.file } : constraints ? { constraints: `s3://${bucket}/${lakeConstraintsKey}` } : {}),
      ...(baseline ? { baseline: `s3://${bucket}/${baselineKey}` } : {}),
    },
    findings,
    effect,
  };
  await putJson(store, bucket, statisticsKey, statistics);
  await putJson(store, bucket, violationsKey, { violations });
  await putJson(store, bucket, `${prefix}${profileLayout.QUALITY}`, { ...quality, drift, bias });
  for (const f of findings) {
    input.logger.warn('data-quality violation', { kind: f.kind, features: f.features, effect: f.effect });
  }
  return { quality, statistics, bias, violations, drift };
}

/**
 * Records the profile and bias counts of a source whose rows the curated table keeps (the parts of the training set's
 * profile), or removes them when its rows were set aside.
 */
export async function writeSourceProfile(
  store: ObjectStore,
  bucket: string,
  pipeline: string,
  sourceHash: string,
  kept: { statistics: Statistics; bias: FacetBias[] } | undefined,
): Promise<void> {
  const prefix = profileLayout.sourcePrefix(pipeline, sourceHash);
  if (!kept) {
    await store.deletePrefix(bucket, prefix);
    return;
  }
  await putJson(store, bucket, `${prefix}${profileLayout.STATISTICS}`, kept.statistics);
  await putJson(store, bucket, `${prefix}${profileLayout.BIAS}`, { facets: kept.bias });
}

/** The constraints a user keeps beside `pipeline.yml`, when there are some. */
export function readLocalConstraints(spec: Pick<PipelineSpec, 'dir'>): { constraints: Constraints; file: string } | undefined {
  const file = path.join(spec.dir, profileLayout.CONSTRAINTS);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return { constraints: JSON.parse(text) as Constraints, file };
  } catch (error) {
    // A constraints file the user edited into invalid JSON stops the ingest with its name, not a bare SyntaxError.
    throw new PipelineSpecError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

/** Reads a JSON object of the lake, or undefined when there is none. */
export async function readJson<T>(store: ObjectStore, bucket: string, key: string): Promise<T | undefined> {
  const text = await store.getText({ bucket, key });
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** Writes a JSON object to the lake, indented: these files are for people and their tools. */
export async function putJson(store: ObjectStore, bucket: string, key: string, value: unknown): Promise<void> {
  await store.putText({ bucket, key }, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

/**
 * The counts of `biasCountsSql` (core/quality/bias.ts) as one aggregate, so they are taken in the profile's scan: a
 * histogram keyed by the same four values its GROUP BY groups on, over the same rows (label and facet present).
 * `biasCountsSql` stays the portable form, for Athena; this one is DuckDB's (`histogram` of a STRUCT, `FILTER`).
 */
export function biasCountsAggregate(label: NonNullable<PipelineSpec['quality']['label']>, facet: PipelineSpec['quality']['facets'][number]): string {
  const y = quoteIdentifier(label.column);
  const positive = label.positive.map((v) => (typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : quoteLiteral(v))).join(', ');
  const group = facet.group ? `CAST(${quoteIdentifier(facet.group)} AS VARCHAR)` : `''`;
  const key = [
    `'facet': CASE WHEN ${facetCondition(facet)} THEN 1 ELSE 0 END`,
    `'label': CAST(${y} AS VARCHAR)`,
    `'positive': CASE WHEN ${y} IN (${positive}) THEN 1 ELSE 0 END`,
    `'grp': ${group}`,
  ];
  return `histogram({${key.join(', ')}}) FILTER (WHERE ${y} IS NOT NULL AND ${quoteIdentifier(facet.column)} IS NOT NULL)`;
}

/** {@link biasCountsAggregate}'s MAP as the rows `biasCountsSql` returns: `{ facet, label, positive, grp, n }`. */
function histogramRows(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) =>
    typeof entry === 'object' && entry !== null && 'key' in entry && 'value' in entry && typeof entry.key === 'object' && entry.key !== null
      ? [{ ...(entry.key as Record<string, unknown>), n: entry.value }]
      : [],
  );
}
