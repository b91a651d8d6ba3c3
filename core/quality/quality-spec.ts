import * as z from 'zod';
import { CONSTRAINT_CHECK_TYPES } from './model-monitor-formats.js';

/** What a violation of one kind does to the file that has it (docs/data-quality.md). */
export const VIOLATION_EFFECTS = ['warn', 'quarantine', 'block'] as const;

/** One of {@link VIOLATION_EFFECTS}. */
export type ViolationEffect = (typeof VIOLATION_EFFECTS)[number];

/** The pre-training bias metrics Sluice computes, named as SageMaker Clarify names them. */
export const BIAS_METRICS = ['CI', 'DPL', 'KL', 'JS', 'LP', 'TVD', 'KS', 'CDDL'] as const;

/** One of {@link BIAS_METRICS}. */
export type BiasMetric = (typeof BIAS_METRICS)[number];

const column = z.string().regex(/^[a-z_][a-z0-9_]{0,127}$/, 'must be a contract column name');
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const effect = z.enum(VIOLATION_EFFECTS);
const effectsShape = Object.fromEntries(CONSTRAINT_CHECK_TYPES.map((kind) => [kind, effect.default('warn')])) as Record<
  (typeof CONSTRAINT_CHECK_TYPES)[number],
  z.ZodDefault<typeof effect>
>;

const facetSchema = z
  .object({
    column,
    values: z.array(scalar).min(1).optional().describe("the facet's group: rows whose column has one of these values"),
    min: z.number().optional().describe('or a numeric range (inclusive) defining the group'),
    max: z.number().optional(),
    group: column.optional().describe('grouping column for conditional demographic disparity (CDDL)'),
    thresholds: z
      .partialRecord(z.enum(BIAS_METRICS), z.number().nonnegative())
      .optional()
      .describe('the gate blocks promotion when |metric| exceeds its threshold on the training set'),
  })
  .strict()
  .superRefine((facet, ctx) => {
    const range = facet.min !== undefined || facet.max !== undefined;
    if ((facet.values !== undefined) === range) {
      ctx.addIssue({ code: 'custom', message: 'a facet needs either values or a min/max range, not both' });
    }
  });

/** The spec's `quality:` section (docs/data-quality.md). */
export const qualitySchema = z
  .object({
    profile: z.boolean().default(true).describe('false: no profile, no checks, no bias metrics (and no cost) at ingest'),
    effects: z.object(effectsShape).strict().default(Object.fromEntries(CONSTRAINT_CHECK_TYPES.map((k) => [k, 'warn'])) as Record<(typeof CONSTRAINT_CHECK_TYPES)[number], ViolationEffect>),
    label: z
      .object({ column, positive: z.array(scalar).min(1).describe('label values that are the positive outcome') })
      .strict()
      .optional(),
    facets: z.array(facetSchema).default([]),
  })
  .strict()
  .superRefine((quality, ctx) => {
    if (quality.facets.length > 0 && !quality.label) ctx.addIssue({ code: 'custom', path: ['label'], message: 'facets need the label (column and positive values)' });
  });

/** The `quality:` section, defaults applied. */
export type QualitySpec = z.output<typeof qualitySchema>;

/** A facet of the `quality:` section. */
export type FacetSpec = z.output<typeof facetSchema>;

/** What the spec says when it has no `quality:` section: profile, warn on everything. */
export const DEFAULT_QUALITY: QualitySpec = qualitySchema.parse({});

/**
 * The `quality:` section's columns checked against the contract: the label, each facet's column and its grouping
 * column must be contract columns, or the bias SQL would fail at the first ingest, after data moved. Returns one
 * problem per bad column, naming the path, the column and the facet (`quality.facets.0.group: "region" of the facet
 * on "senior_citizen" is not a contract column`).
 */
export function qualityContractProblems(quality: QualitySpec, contractColumns: readonly string[]): string[] {
  const known = new Set(contractColumns);
  const problems: string[] = [];
  if (quality.label && !known.has(quality.label.column)) problems.push(`quality.label.column: "${quality.label.column}" is not a contract column`);
  quality.facets.forEach((facet, index) => {
    if (!known.has(facet.column)) problems.push(`quality.facets.${index}.column: the facet's column "${facet.column}" is not a contract column`);
    if (facet.group !== undefined && !known.has(facet.group)) {
      problems.push(`quality.facets.${index}.group: grouping column "${facet.group}" of the facet on "${facet.column}" is not a contract column`);
    }
  });
  return problems;
}
