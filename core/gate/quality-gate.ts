import type { GateDecision } from './gate.js';

/**
 * Applies what data quality says to a gate decision: a candidate the metric rule would promote is held back while
 * anything blocks it (a violation whose spec effect is `block` in this run's ingest, a bias metric beyond its
 * threshold: core/quality/training-quality.ts). The reasons say why, so the run summary shows it.
 */
export function applyQualityGate(decision: GateDecision, blocking: readonly string[]): GateDecision {
  if (blocking.length === 0) return decision;
  const reasons = [...decision.reasons, ...blocking.map((reason) => `blocked by ${reason}`)];
  return { ...decision, promote: false, reasons };
}
