/**
 * Builds a pipeline's {@link RawServingSpec} from its spec: the contract with its rules, and the feature query in
 * scoring mode (`scoringSelectSql`, the one batch scoring runs), so real-time, batch and training features come from
 * one definition.
 */
import { labelSourceColumns, readFeatureQuery } from '../features/feature-sql.js';
import { scoringSelectSql } from '../features/scoring-sql.js';
import { tableName } from '../run/naming.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { RawColumn, RawServingSpec } from './raw-serving-spec.js';
import { RAW_RELATION, RAW_ROW_COLUMN } from './raw-serving-spec.js';

/**
 * The raw-record serving spec of a pipeline with a feature query and a training section; undefined otherwise.
 * @throws InvalidFeatureQueryError when the feature query cannot score row by row (GROUP BY, `*`)
 */
export function rawServingSpecOf(spec: PipelineSpec): RawServingSpec | undefined {
  if (spec.features === undefined) return undefined;
  const query = readFeatureQuery(spec, tableName(spec.name));
  const names = spec.contract.columns.map((c) => c.name);
  const labelColumns = labelSourceColumns(query, names);
  const columns: RawColumn[] = spec.contract.columns.map((c) => ({
    name: c.name,
    ...(c.sourceName === undefined ? {} : { sourceName: c.sourceName }),
    type: c.type,
    nullable: c.nullable,
    ...(c.allowed === undefined ? {} : { allowed: [...c.allowed] }),
    ...(c.min === undefined ? {} : { min: c.min }),
    ...(c.max === undefined ? {} : { max: c.max }),
    ...(c.pattern === undefined ? {} : { pattern: c.pattern }),
    ...(c.maxLength === undefined ? {} : { maxLength: c.maxLength }),
  }));
  const [labelColumn] = labelColumns;
  const named = labelColumns.length === 1 && spec.contract.columns.find((c) => c.name === labelColumn)?.allowed !== undefined;
  const algorithm = spec.training?.algorithm === 'blazingtext' ? 'blazingtext' : 'xgboost';
  // The text column: the one string column the query names outside its label (as local/serving/text-normaliser.ts).
  const lowered = query.toLowerCase();
  const texts = spec.contract.columns.filter((c) => c.type === 'string' && !labelColumns.includes(c.name) && new RegExp(`(^|[^a-z0-9_])${c.name}([^a-z0-9_]|$)`).test(lowered));
  const textColumn = algorithm === 'blazingtext' && texts.length === 1 ? texts[0]?.name : undefined;
  return {
    pipeline: spec.name,
    relation: RAW_RELATION,
    scoringSql: scoringSelectSql(spec, RAW_RELATION, { idColumns: [RAW_ROW_COLUMN], labelPresent: false }),
    ...(named ? { labelSql: scoringSelectSql(spec, RAW_RELATION, { idColumns: [], labelPresent: true }) } : {}),
    ...(textColumn === undefined ? {} : { textColumn }),
    nullValues: spec.source.format === 'csv' ? [...(spec.source.csv?.nullValues ?? [''])] : [''],
    algorithm,
    unknownColumns: spec.contract.unknownColumns,
    columns,
    labelColumns,
  };
}
