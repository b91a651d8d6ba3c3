import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PipelineSpecError } from '../errors.js';
import { splitProblems } from '../features/feature-sql.js';
import { objectKeyProblem } from '../trigger/object-key.js';
import { DROP_ZONE_PREFIX, OUTPUT_PREFIXES, pipelineSpecSchema } from './schema.js';
import { trainingSectionProblems } from './training-rules.js';
import { workflowLimitProblems } from './workflow-limits.js';
import { scoringSectionProblems } from './scoring-rules.js';
import { qualityContractProblems } from '../quality/quality-spec.js';
import { deepFreeze, resolveSpecFile } from './spec-file.js';

// Where a spec file is found lives in spec-file.ts, which loads no parser: a run whose spec passed before finds it without
// yaml and zod (local/runtime/validated-spec.ts).
export { resolveSpecFile } from './spec-file.js';

/** A validated, frozen pipeline spec, with the derived drop prefix and the folder it was read from. */
export type PipelineSpec = DeepReadonly<
  Omit<z.output<typeof pipelineSpecSchema>, 'source'> & {
    source: Omit<z.output<typeof pipelineSpecSchema>['source'], 'prefix' | 'suffixes'> & { prefix: string; suffixes: string[] };
    /** Folder holding `pipeline.yml` and the files it names (features SQL, sample data). */
    dir: string;
    /** Path of the spec file, for error messages. */
    file: string;
  }
>;

/** Recursively readonly: specs are shared by every step and must not be changed by any of them. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Reads, validates and freezes a pipeline spec; every problem is reported with the file and the path inside it. Beyond
 * the schema, the training and tuning sections are checked against SageMaker's XGBoost and tuning rules
 * (`training-rules.ts`), so both runtimes refuse a spec that would fail at training before any work.
 */
export function loadPipelineSpec(nameOrPath: string, pipelinesDir: string): PipelineSpec {
  const file = resolveSpecFile(nameOrPath, pipelinesDir);
  return parsePipelineSpec(readFileSync(file, 'utf8'), file);
}

/**
 * How many times a spec may use its YAML aliases (`*name`) in all: the yaml package's own default, set here on
 * purpose. A spec needs a few at most; a "billion laughs" document nests aliases to expand a few lines into gigabytes,
 * and the yaml package refuses it once this count is passed.
 */
export const MAX_SPEC_ALIAS_COUNT = 100;

// Expanding aliases is where a hostile document does its damage, after parsing succeeded: name the file when it fails.
function specValue(document: ReturnType<typeof parseDocument>, file: string): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_SPEC_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const limit = /alias count/i.test(reason) ? ` (a spec may expand its aliases at most ${MAX_SPEC_ALIAS_COUNT} times)` : '';
    throw new PipelineSpecError(`${file}: not valid YAML:\n  - ${reason}${limit}`, { cause: error });
  }
}

/** Validates spec text; `file` is used in messages and to locate the files the spec names. */
export function parsePipelineSpec(text: string, file: string): PipelineSpec {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((e) => `  - ${e.message.split('\n')[0] ?? e.message}`);
    throw new PipelineSpecError(`${file}: not valid YAML:\n${problems.join('\n')}`);
  }
  const parsed = pipelineSpecSchema.safeParse(specValue(document, file));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
    throw new PipelineSpecError(`${file}: invalid pipeline spec:\n${problems.join('\n')}`);
  }
  const spec = parsed.data;
  const prefix = spec.source.prefix ?? `${DROP_ZONE_PREFIX}${spec.name}/`;
  const suffixes = spec.source.suffixes ?? (spec.source.format === 'csv' ? ['.csv', '.csv.gz', '.txt'] : ['.jsonl', '.ndjson', '.json', '.jsonl.gz']);
  const problems = [
    ...crossFieldProblems(spec, prefix),
    // The split against the label, read from the feature query: a label in splitKey is refused before any data moves.
    ...splitProblems(spec, path.dirname(file)),
    // SageMaker's own rules for the training and tuning sections: a bad hyperparameter fails here, not after ingest.
    ...trainingSectionProblems(spec).map(({ path: at, message }) => `${at}: ${message}`),
    // The poll loops must fit one execution's 25,000 history events (core/spec/workflow-limits.ts): refused, not clamped.
    ...workflowLimitProblems(spec),
    // Batch scoring's id columns must be contract columns other than the label's (core/spec/scoring-rules.ts).
    ...scoringSectionProblems(spec, path.dirname(file)),
    // The quality section's label, facet and grouping columns must be contract columns (core/quality/quality-spec.ts).
    ...qualityContractProblems(spec.quality, spec.contract.columns.map((c) => c.name)),
  ];
  if (problems.length > 0) {
    throw new PipelineSpecError(`${file}: invalid pipeline spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return deepFreeze({ ...spec, source: { ...spec.source, prefix, suffixes }, dir: path.dirname(file), file });
}

function crossFieldProblems(spec: z.output<typeof pipelineSpecSchema>, prefix: string): string[] {
  const problems: string[] = [];
  if (!prefix.startsWith(DROP_ZONE_PREFIX) || !prefix.endsWith('/') || prefix.includes('//')) {
    problems.push(`source.prefix: "${prefix}" must start with "${DROP_ZONE_PREFIX}" and end with "/"`);
  }
  // Keys are built from the prefix in both runtimes; one that could climb out of the drop zone is refused here.
  const keyProblem = objectKeyProblem(prefix);
  if (keyProblem) problems.push(`source.prefix: "${prefix}" ${keyProblem}`);
  for (const output of OUTPUT_PREFIXES) {
    if (output.startsWith(prefix) || prefix.startsWith(output)) {
      problems.push(`source.prefix: "${prefix}" overlaps the output prefix "${output}"; a run would trigger itself`);
    }
  }
  const seen = new Set<string>();
  const fileNames = new Map<string, string>();
  spec.contract.columns.forEach((column, index) => {
    const inFile = column.sourceName ?? column.name;
    const folded = spec.source.matchNames === 'case-insensitive' ? inFile.toLowerCase() : inFile;
    const other = fileNames.get(folded);
    if (other !== undefined) problems.push(`contract.columns.${index}: reads the file's "${inFile}", as "${other}" does`);
    fileNames.set(folded, column.name);
    if (column.sourceName !== undefined && spec.source.format === 'csv' && !spec.source.csv.header) {
      problems.push(`contract.columns.${index}.sourceName: the file has no header (source.csv.header: false); columns are read by position`);
    }
    if (seen.has(column.name)) problems.push(`contract.columns.${index}.name: "${column.name}" is declared twice`);
    seen.add(column.name);
    if (column.min !== undefined && column.max !== undefined && column.min > column.max) {
      problems.push(`contract.columns.${index}: min is greater than max`);
    }
  });
  spec.partitioning.columns.forEach((name, index) => {
    const column = spec.contract.columns.find((c) => c.name === name);
    if (!column) {
      problems.push(`partitioning.columns.${index}: "${name}" is not a contract column`);
    } else if (column.type === 'double' || column.type === 'timestamp') {
      problems.push(`partitioning.columns.${index}: "${name}" is a ${column.type} column; partition by string, integer, boolean or date columns`);
    }
    if (name === 'ingest_date') problems.push(`partitioning.columns.${index}: ingest_date is always the first partition key`);
  });
  if (seen.has('ingest_date')) problems.push('contract.columns: "ingest_date" is reserved for the ingest partition key');
  spec.features?.splitKey?.forEach((key, index) => {
    if (!seen.has(key)) problems.push(`features.splitKey.${index}: "${key}" is not a contract column`);
  });
  return problems;
}

function formatPath(issuePath: readonly PropertyKey[]): string {
  return issuePath.length === 0 ? '(top level)' : issuePath.map(String).join('.');
}
