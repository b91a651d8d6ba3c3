import * as z from 'zod';
import { CONSTRAINT_CHECK_TYPES } from './model-monitor-formats.js';
import { VIOLATION_EFFECTS } from './quality-spec.js';

/**
 * What one ingest's data-quality checks found, as `$.ingest.files[].quality` and the run manifest show it: where its
 * profile and violations are, what it was checked against, each violation kind with its columns and the effect the
 * spec gives it, and the strongest effect (quarantine > block > warn; none when nothing was found).
 */
export const ingestQualitySchema = z
  .object({
    statisticsKey: z.string(),
    violationsKey: z.string(),
    checkedAgainst: z.object({ constraints: z.string().optional(), baseline: z.string().optional() }).strict(),
    findings: z.array(z.object({ kind: z.enum(CONSTRAINT_CHECK_TYPES), features: z.array(z.string()), effect: z.enum(VIOLATION_EFFECTS) }).strict()),
    effect: z.enum([...VIOLATION_EFFECTS, 'none']),
  })
  .strict();

/** See {@link ingestQualitySchema}. */
export type IngestQuality = z.infer<typeof ingestQualitySchema>;

/** A run's data-quality findings, file by file, as the run manifest shows them. */
export interface RunQuality {
  /** The strongest effect of any file. */
  effect: IngestQuality['effect'];
  findings: (IngestQuality['findings'][number] & { file: string; violations: string })[];
}

/** The run manifest's `quality`: every file's findings with the file they came from; undefined when nothing was profiled. */
export function runQuality(files: readonly { source: { bucket: string; key: string }; quality?: IngestQuality | undefined }[]): RunQuality | undefined {
  const profiled = files.filter((f) => f.quality !== undefined);
  if (profiled.length === 0) return undefined;
  const order = ['none', 'warn', 'block', 'quarantine'] as const;
  const effect = profiled.reduce<IngestQuality['effect']>((e, f) => (order.indexOf(f.quality?.effect ?? 'none') > order.indexOf(e) ? (f.quality?.effect ?? e) : e), 'none');
  const findings = profiled.flatMap((f) => (f.quality?.findings ?? []).map((finding) => ({ ...finding, file: `s3://${f.source.bucket}/${f.source.key}`, violations: f.quality?.violationsKey ?? '' })));
  return { effect, findings };
}
