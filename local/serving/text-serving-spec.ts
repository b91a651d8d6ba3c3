/**
 * What a text endpoint needs of its pipeline to normalise raw texts, as local Deploy records it in the pointer
 * (`textNormalisation`). Kept apart from `text-normaliser.ts` and free of runtime imports: the lean endpoint server
 * reads it on every pointer change and loads DuckDB, the SQL helpers and the spec schema only for a text model.
 */
import type { ColumnType } from '../../core/spec/schema.js';

/** What a text endpoint needs of its pipeline to normalise raw texts (recorded in the pointer by local Deploy). */
export interface TextServingSpec {
  /** The feature query, as checked by `readFeatureQuery` (label first, text second). */
  readonly featureSql: string;
  /** The pipeline's catalog table the query selects from. */
  readonly table: string;
  /** The contract column the raw text goes into (e.g. `review`). */
  readonly textColumn: string;
  /** Every contract column with its type, so the query's other references resolve (to NULL). */
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
}

/** Reads a serving spec recorded in a pointer (its `textNormalisation` field); undefined when absent or malformed. */
export function readTextServingSpec(value: unknown): TextServingSpec | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { featureSql, table, textColumn, columns } = value as Record<string, unknown>;
  if (typeof featureSql !== 'string' || typeof table !== 'string' || typeof textColumn !== 'string' || !Array.isArray(columns)) return undefined;
  // Types are checked against the contract's when the normaliser opens (text-normaliser.ts), keeping this module light.
  const typed = columns.filter(
    (c): c is { name: string; type: ColumnType } =>
      typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>)['name'] === 'string' && typeof (c as Record<string, unknown>)['type'] === 'string',
  );
  if (typed.length !== columns.length) return undefined;
  return { featureSql, table, textColumn, columns: typed.map((c) => ({ name: c.name, type: c.type })) };
}

