import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalStepError } from '../errors.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { isSignificant, tokenizeSql } from '../sql/trino-compat-lexer.js';
import { numberLiteral, quoteIdentifier, quoteLiteral } from '../sql/quote.js';

/** A features.sql that cannot be wrapped: not one SELECT, or not over the pipeline's table. */
export class InvalidFeatureQueryError extends TerminalStepError {
  public override readonly name = 'InvalidFeatureQueryError';
}

/** The two feature sets a run produces. */
export type FeatureSplit = 'train' | 'validation';

/** Resolution of the split hash: keys fall into one of this many buckets. */
const SPLIT_BUCKETS = 1000;

/** Reads the pipeline's feature query and checks it is one SELECT over its table. */
export function readFeatureQuery(spec: PipelineSpec, table: string): string {
  if (!spec.features) throw new InvalidFeatureQueryError(`${spec.file}: the pipeline has no features section`);
  const file = path.resolve(spec.dir, spec.features.query);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidFeatureQueryError(`${file}: cannot read the feature query`, { cause: error });
  }
  return checkFeatureQuery(text, table, file);
}

/** Checks a feature query's shape; returns it without a trailing semicolon. */
export function checkFeatureQuery(text: string, table: string, where: string): string {
  const tokens = tokenizeSql(text).filter(isSignificant);
  while (tokens.length > 0 && tokens[tokens.length - 1]?.text === ';') tokens.pop();
  const first = tokens[0]?.text.toLowerCase();
  if (first !== 'select' && first !== 'with') throw new InvalidFeatureQueryError(`${where}: must be one SELECT (or WITH … SELECT); it starts with "${tokens[0]?.text ?? ''}"`);
  if (tokens.some((t) => t.text === ';')) throw new InvalidFeatureQueryError(`${where}: must hold one statement; found a ";" inside`);
  const words = tokens.filter((t) => t.kind === 'word' || t.kind === 'quoted').map((t) => t.text.replaceAll('"', '').toLowerCase());
  if (!words.includes(table)) throw new InvalidFeatureQueryError(`${where}: must select from the pipeline's table "${table}"`);
  const trimmed = text.trim();
  return trimmed.endsWith(';') ? trimmed.slice(0, trimmed.lastIndexOf(';')).trim() : trimmed;
}

/**
 * A SQL expression giving each row a bucket in [0, 1000) from an md5 of its split key: deterministic, and computed
 * the same way by Athena and by the local engine (whose compatibility layer gives md5/to_utf8/from_base Trino's
 * meaning), so the same rows land in the same set in both.
 */
export function splitBucketExpression(keys: readonly string[]): string {
  const parts = keys.map((k) => `coalesce(CAST(${quoteIdentifier(k)} AS varchar), '')`).join(', ');
  return `(from_base(substr(to_hex(md5(to_utf8(concat_ws('|', ${parts})))), 1, 8), 16) % ${SPLIT_BUCKETS})`;
}

/** What the wrapper needs to build one split's UNLOAD. */
export interface FeatureUnloadInput {
  query: string;
  database: string;
  table: string;
  splitKey: readonly string[];
  validationRatio: number;
  split: FeatureSplit;
  /** `s3://bucket/features/<pipeline>/<runId>/<split>/` */
  target: string;
}

/**
 * Wraps the user's SELECT for one split: a CTE of the table's name shadows the table with only that split's rows, so
 * the user's query runs unchanged over it; `UNLOAD` writes the result where SageMaker's XGBoost reads `text/csv`:
 * no header, label first, comma-separated. Athena always gzips TEXTFILE output (UNLOAD has no compression option
 * for it), so the training channels declare `CompressionType: Gzip` and use Pipe mode, the mode in which the
 * XGBoost container reads compressed CSV.
 */
export function featureUnloadSql(input: FeatureUnloadInput): string {
  const cut = Math.round(SPLIT_BUCKETS * (1 - input.validationRatio));
  const predicate = `${splitBucketExpression(input.splitKey)} ${input.split === 'train' ? '<' : '>='} ${numberLiteral(cut)}`;
  const shadow = `${quoteIdentifier(input.table)} AS (SELECT * FROM ${quoteIdentifier(input.database)}.${quoteIdentifier(input.table)} WHERE ${predicate})`;
  const body = input.query.replace(/^\s*with\s/i, '');
  const startsWithWith = body !== input.query;
  const select = startsWithWith ? `WITH ${shadow}, ${body}` : `WITH ${shadow}\n${input.query}`;
  return `UNLOAD (\n${select}\n) TO ${quoteLiteral(input.target)} WITH (format = 'TEXTFILE', field_delimiter = ',')`;
}

/** The parts of an UNLOAD statement Sluice wrote, for the local engine. */
export function parseUnload(sql: string): { select: string; target: string } | undefined {
  const match = /^\s*UNLOAD\s*\(([\s\S]*)\)\s*TO\s*'((?:[^']|'')*)'\s*WITH\s*\(([\s\S]*)\)\s*$/i.exec(sql);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { select: match[1], target: match[2].replaceAll("''", "'") };
}
