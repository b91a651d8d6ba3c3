import type { PipelineSpec } from '../spec/load-spec.js';

/** The gate's rule, from the spec's `gate` section. */
export type GateRule = NonNullable<PipelineSpec['gate']>;

/** What the gate decided, and why, in words a person reads in the run summary. */
export interface GateDecision {
  promote: boolean;
  metric: string;
  candidate: number | null;
  production: number | null;
  reasons: string[];
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Decides whether a candidate replaces the production model:
 * - the candidate must report the gate metric;
 * - it must meet the absolute `minimum` (a ceiling for Minimize metrics);
 * - with a production model that reports the metric, it must beat it by at least `minImprovement`;
 * - the first model deploys when it meets the minimum.
 */
export function decideGate(rule: GateRule, candidateMetrics: Readonly<Record<string, number>>, productionMetrics?: Readonly<Record<string, number>>): GateDecision {
  const candidate = candidateMetrics[rule.metric];
  const production = productionMetrics?.[rule.metric];
  const decision: GateDecision = { promote: false, metric: rule.metric, candidate: candidate ?? null, production: production ?? null, reasons: [] };
  if (candidate === undefined || !Number.isFinite(candidate)) {
    decision.reasons.push(`the candidate does not report ${rule.metric} (it reports ${Object.keys(candidateMetrics).sort().join(', ') || 'nothing'})`);
    return decision;
  }
  const better = (a: number, b: number) => (rule.direction === 'Maximize' ? a >= b : a <= b);
  if (rule.minimum !== undefined && !better(candidate, rule.minimum)) {
    decision.reasons.push(`${rule.metric} ${format(candidate)} does not meet the ${rule.direction === 'Maximize' ? 'minimum' : 'maximum'} ${format(rule.minimum)}`);
    return decision;
  }
  if (rule.minimum !== undefined) decision.reasons.push(`${rule.metric} ${format(candidate)} meets the ${rule.direction === 'Maximize' ? 'minimum' : 'maximum'} ${format(rule.minimum)}`);
  if (productionMetrics === undefined) {
    decision.promote = true;
    decision.reasons.push('no model in production yet');
    return decision;
  }
  if (production === undefined || !Number.isFinite(production)) {
    decision.promote = true;
    decision.reasons.push(`the production model does not report ${rule.metric}`);
    return decision;
  }
  const needed = rule.direction === 'Maximize' ? production + rule.minImprovement : production - rule.minImprovement;
  const gain = rule.direction === 'Maximize' ? candidate - production : production - candidate;
  if (better(candidate, needed) && (rule.minImprovement > 0 || gain > 0)) {
    decision.promote = true;
    decision.reasons.push(`${rule.metric} ${format(candidate)} beats production ${format(production)} by ${format(gain)} (at least ${format(rule.minImprovement)} required)`);
  } else {
    decision.reasons.push(`${rule.metric} ${format(candidate)} does not beat production ${format(production)} by at least ${format(rule.minImprovement)}${rule.minImprovement === 0 ? ' (an equal score does not replace it)' : ''}`);
  }
  return decision;
}
