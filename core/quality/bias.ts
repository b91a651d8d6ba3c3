import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import type { DeepReadonly } from '../spec/load-spec.js';
import type { BiasMetric, FacetSpec as MutableFacetSpec, QualitySpec } from './quality-spec.js';

/** A facet as the frozen spec holds it. */
type FacetSpec = DeepReadonly<MutableFacetSpec>;

/**
 * SageMaker Clarify's pre-training bias metrics (SageMaker developer guide, "Pre-training Bias Metrics"; the formulas
 * as Clarify's open-source implementation computes them: aws/amazon-sagemaker-clarify,
 * src/smclarify/bias/metrics/pretraining.py and common.py). Facet d is the group the spec declares (Clarify's
 * "sensitive facet"), facet a everyone else:
 * - CI = (na − nd) / (na + nd)
 * - DPL = qa − qd, q = the share of positive labels in the facet
 * - KL = Σy Pa(y) ln(Pa(y) / Pd(y)); JS = ½ [KL(Pa, P) + KL(Pd, P)], P = ½ (Pa + Pd)
 * - LP = √(Σy (Pa(y) − Pd(y))²); TVD = ½ Σy |Pa(y) − Pd(y)|; KS = maxy |Pa(y) − Pd(y)|
 *   (P over the label's values; like Clarify's `pdfs_aligned_nonzero`, only values present in both facets count)
 * - CDDL = (1/n) Σi ni · DDi, DDi = nd(rejected)i / n(rejected)i − nd(accepted)i / n(accepted)i over the groups i
 *   of the grouping column (a ratio with an empty denominator is 0, as in Clarify).
 *
 * The rows are reduced by one GROUP BY that runs the same on Athena (Trino) and DuckDB ({@link biasCountsSql}); the
 * formulas then work on those few counts, so the counts of several files add up to the counts of their union: the
 * training set's metrics come from its files' counts without reading a row again.
 */

/** One row of {@link biasCountsSql}: how many rows have this facet membership, label value and group. */
export interface BiasCount {
  /** In the declared group (facet d). */
  facet: boolean;
  label: string;
  positive: boolean;
  /** The grouping column's value as text ('' without a grouping column). */
  group: string;
  n: number;
}

/** A facet's metrics; a metric is null when undefined on the data (an empty facet, no value common to both facets). */
export type BiasMetrics = Record<BiasMetric, number | null>;

/** The facet's metrics with the counts they came from, as recorded with a model version. */
export interface FacetBias {
  facet: string;
  /** The group, in words: `senior_citizen in (1)`, `age between 0 and 25`. */
  group: string;
  groupColumn?: string;
  metrics: BiasMetrics;
  counts: BiasCount[];
}

function literal(value: string | number | boolean): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return quoteLiteral(value);
}

/** The SQL condition selecting the facet's group. */
export function facetCondition(facet: FacetSpec): string {
  const column = quoteIdentifier(facet.column);
  if (facet.values) return `${column} IN (${facet.values.map(literal).join(', ')})`;
  const bounds = [facet.min !== undefined ? `${column} >= ${facet.min}` : '', facet.max !== undefined ? `${column} <= ${facet.max}` : ''].filter(Boolean);
  return bounds.join(' AND ');
}

/** The facet's group in words. */
export function describeFacet(facet: FacetSpec): string {
  if (facet.values) return `${facet.column} in (${facet.values.map((v) => JSON.stringify(v)).join(', ')})`;
  if (facet.min !== undefined && facet.max !== undefined) return `${facet.column} between ${facet.min} and ${facet.max}`;
  return facet.min !== undefined ? `${facet.column} >= ${facet.min}` : `${facet.column} <= ${String(facet.max)}`;
}

/**
 * The counts behind every metric of one facet, from `relation` (a table or a parenthesised SELECT): one GROUP BY in
 * SQL that Athena and DuckDB both run (CASE, CAST AS VARCHAR, IN, count). Rows whose label or facet is NULL are left
 * out, as Clarify drops them.
 */
export function biasCountsSql(relation: string, label: DeepReadonly<NonNullable<QualitySpec['label']>>, facet: FacetSpec): string {
  const y = quoteIdentifier(label.column);
  const group = facet.group ? `CAST(${quoteIdentifier(facet.group)} AS VARCHAR)` : `''`;
  return [
    `SELECT CASE WHEN ${facetCondition(facet)} THEN 1 ELSE 0 END AS "facet",`,
    `CAST(${y} AS VARCHAR) AS "label",`,
    `CASE WHEN ${y} IN (${label.positive.map(literal).join(', ')}) THEN 1 ELSE 0 END AS "positive",`,
    `${group} AS "grp", count(*) AS "n"`,
    `FROM ${relation} WHERE ${y} IS NOT NULL AND ${quoteIdentifier(facet.column)} IS NOT NULL`,
    'GROUP BY 1, 2, 3, 4',
  ].join(' ');
}

/** Rows of {@link biasCountsSql} as either engine returns them (numbers may come as strings). */
export function parseBiasCounts(rows: readonly Record<string, unknown>[]): BiasCount[] {
  return rows.map((r) => ({ facet: Number(r.facet) === 1, label: String(r.label), positive: Number(r.positive) === 1, group: r.grp === null || r.grp === undefined ? '' : String(r.grp), n: Number(r.n) }));
}

/** Adds up counts of several datasets: the counts of their union. */
export function mergeBiasCounts(parts: readonly (readonly BiasCount[])[]): BiasCount[] {
  const sums = new Map<string, BiasCount>();
  for (const c of parts.flat()) {
    const key = JSON.stringify([c.facet, c.label, c.positive, c.group]);
    const seen = sums.get(key);
    sums.set(key, seen ? { ...seen, n: seen.n + c.n } : { ...c });
  }
  return [...sums.values()].sort((a, b) => Number(a.facet) - Number(b.facet) || a.label.localeCompare(b.label) || a.group.localeCompare(b.group));
}

/** Clarify's pre-training metrics from the counts (see the module comment for the formulas). */
export function biasMetrics(counts: readonly BiasCount[], withGroups: boolean): BiasMetrics {
  const total = (pick: (c: BiasCount) => boolean) => counts.filter(pick).reduce((s, c) => s + c.n, 0);
  const nd = total((c) => c.facet);
  const na = total((c) => !c.facet);
  const metrics: BiasMetrics = { CI: null, DPL: null, KL: null, JS: null, LP: null, TVD: null, KS: null, CDDL: null };
  if (na + nd === 0) return metrics;
  metrics.CI = (na - nd) / (na + nd);
  if (na === 0 || nd === 0) return metrics;
  metrics.DPL = total((c) => !c.facet && c.positive) / na - total((c) => c.facet && c.positive) / nd;

  const labels = [...new Set(counts.map((c) => c.label))].sort();
  const aligned = labels
    .map((y) => ({ pa: total((c) => !c.facet && c.label === y) / na, pd: total((c) => c.facet && c.label === y) / nd }))
    .filter((p) => p.pa > 0 && p.pd > 0);
  if (aligned.length > 0) {
    metrics.KL = aligned.reduce((s, p) => s + p.pa * Math.log(p.pa / p.pd), 0);
    metrics.JS = 0.5 * aligned.reduce((s, p) => s + p.pa * Math.log(p.pa / ((p.pa + p.pd) / 2)) + p.pd * Math.log(p.pd / ((p.pa + p.pd) / 2)), 0);
    metrics.LP = Math.sqrt(aligned.reduce((s, p) => s + (p.pa - p.pd) ** 2, 0));
    metrics.TVD = 0.5 * aligned.reduce((s, p) => s + Math.abs(p.pa - p.pd), 0);
    metrics.KS = Math.max(...aligned.map((p) => Math.abs(p.pa - p.pd)));
  }
  if (withGroups) {
    const groups = [...new Set(counts.map((c) => c.group))];
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const weighted = groups.reduce((s, g) => {
      const inGroup = (pick: (c: BiasCount) => boolean) => total((c) => c.group === g && pick(c));
      const dd = ratio(inGroup((c) => c.facet && !c.positive), inGroup((c) => !c.positive)) - ratio(inGroup((c) => c.facet && c.positive), inGroup((c) => c.positive));
      return s + inGroup(() => true) * dd;
    }, 0);
    metrics.CDDL = weighted / (na + nd);
  }
  return metrics;
}

/** A facet's metrics and counts, for the record. */
export function facetBias(facet: FacetSpec, counts: readonly BiasCount[]): FacetBias {
  return {
    facet: facet.column,
    group: describeFacet(facet),
    ...(facet.group ? { groupColumn: facet.group } : {}),
    metrics: biasMetrics(counts, facet.group !== undefined),
    counts: [...counts],
  };
}
