/**
 * Where data-quality records live in the lake, under `profiles/<pipeline>/` (design.md's planned layout; an output
 * prefix, so never a drop zone). File names are Model Monitor's.
 */
export const profileLayout = {
  /** Root of a pipeline's profiles. */
  root: (pipeline: string) => `profiles/${pipeline}/`,
  /** The profile (and bias counts) of a source's curated rows: the parts the training set's profile is merged from. */
  sourcePrefix: (pipeline: string, sourceHash: string) => `profiles/${pipeline}/sources/${sourceHash}/`,
  /** Every source's profile folder. */
  sourcesPrefix: (pipeline: string) => `profiles/${pipeline}/sources/`,
  /** One ingest of one file: its profile, its violations and their effect. */
  ingestPrefix: (pipeline: string, runId: string, sourceHash: string) => `profiles/${pipeline}/runs/${runId}/${sourceHash}/`,
  /** Every ingest of one run. */
  runPrefix: (pipeline: string, runId: string) => `profiles/${pipeline}/runs/${runId}/`,
  /** The training set's profile and bias metrics, recorded with the model version a run registered. */
  modelPrefix: (pipeline: string, runId: string) => `profiles/${pipeline}/models/${runId}/`,
  /** The baseline: suggested constraints, and the production model's training profile every ingest is compared with. */
  baselinePrefix: (pipeline: string) => `profiles/${pipeline}/baseline/`,
  STATISTICS: 'statistics.json',
  CONSTRAINTS: 'constraints.json',
  VIOLATIONS: 'constraint_violations.json',
  BIAS: 'bias.json',
  /** Sluice's summary of one ingest's checks: the violations with the effect the spec gives each. */
  QUALITY: 'quality.json',
};
