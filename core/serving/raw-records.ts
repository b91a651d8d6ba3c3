/**
 * Raw records against the data contract, the way ingest checks a file (core/ingest/contract-rules.ts): the same rules
 * (type, nullable, allowed, min, max, pattern, maxLength, unknown columns) with the same meaning, checked in plain
 * TypeScript because a request holds a few records and a DuckDB round trip per rule would cost more than the model.
 * The first broken rule of the first bad record fails the whole request, naming the record, the column and the rule:
 * a caller fixes and resends, nothing is quarantined.
 *
 * Values come as JSON (`typed`: numbers, booleans, strings, null) or as CSV text (every value a string, `''` and the
 * spec's `nullValues` missing). A value is turned into its column's type as ingest does: integers are whole numbers
 * only (`27.5` is not an integer: `strictCastSql`), doubles any number, booleans `true`/`false`, dates
 * `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS[.fff]` (a `T` is accepted).
 */
import { TerminalStepError } from '../errors.js';
import { TYPE_DESCRIPTIONS } from '../ingest/type-descriptions.js';
import type { RawColumn, RawServingSpec } from './raw-serving-spec.js';

/** The rule a record broke. */
export type RawRecordRule = 'record' | 'unknownColumn' | 'type' | 'nullable' | 'allowed' | 'min' | 'max' | 'pattern' | 'maxLength';

/** A raw record breaks the contract: the message names the record (0-based), the column and the rule. */
export class RawRecordError extends TerminalStepError {
  public override readonly name = 'RawRecordError';

  public constructor(
    public readonly record: number,
    public readonly column: string,
    public readonly rule: RawRecordRule,
    detail: string,
  ) {
    super(`record ${record}: ${column === '' ? '' : `column ${column}: `}${detail} (rule ${rule})`);
  }
}

/** A checked value, typed as its column (dates and timestamps as their ISO text). */
export type RawValue = string | number | boolean | null;

/** Records checked against the contract: one row per record, values in the order of `columns`. */
export interface CheckedRecords {
  /** The contract columns the rows hold, in order: every column but the label's (scoring never needs the label). */
  readonly columns: readonly RawColumn[];
  readonly rows: readonly (readonly RawValue[])[];
}

/** How the values of the records are written. */
export type RawValueKind = 'json' | 'csv';

/**
 * Checks records (objects keyed by contract column name or `sourceName`) and returns their typed values.
 * The label's columns are checked when present (a labelled file can be scored) and never required.
 * @throws RawRecordError for the first broken rule
 */
export function checkRawRecords(spec: RawServingSpec, records: readonly unknown[], kind: RawValueKind, nullValues: readonly string[] = ['']): CheckedRecords {
  const { label, columns, keys } = lookupsOf(spec);
  const nulls = nullValues === spec.nullValues ? lookupsOf(spec).nulls : new Set(nullValues);
  const rows = records.map((record, index) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new RawRecordError(index, '', 'record', `not an object of contract columns (${Array.isArray(record) ? 'an array' : JSON.stringify(record)})`);
    }
    const fields = record as Record<string, unknown>;
    const values = new Map<string, unknown>();
    for (const [key, value] of Object.entries(fields)) {
      const column = keys.get(key);
      if (column === undefined) {
        if (spec.unknownColumns === 'reject') {
          throw new RawRecordError(index, key, 'unknownColumn', `not a column of the ${spec.pipeline} contract (known: ${spec.columns.map((c) => c.name).join(', ')})`);
        }
        continue;
      }
      values.set(column.name, value);
    }
    for (const column of spec.columns) {
      // The label is checked when sent, never required; the scoring query computes it from NULL.
      if (label.has(column.name) && (!values.has(column.name) || values.get(column.name) === null)) continue;
      const value = toValue(values.get(column.name), column, kind, nulls, index);
      checkRules(value, column, index);
      if (!label.has(column.name)) values.set(column.name, value);
    }
    return columns.map((c) => values.get(c.name) as RawValue);
  });
  return { columns, rows };
}

/** What checking a record looks up in its spec, made once per spec (a served model checks every request with one). */
interface SpecLookups {
  readonly label: ReadonlySet<string>;
  /** Every contract column but the label's, in order: the columns of a checked row. */
  readonly columns: readonly RawColumn[];
  /** Each column by its name and by its `sourceName`. */
  readonly keys: ReadonlyMap<string, RawColumn>;
  /** The spec's own null texts. */
  readonly nulls: ReadonlySet<string>;
}

const lookups = new WeakMap<RawServingSpec, SpecLookups>();

function lookupsOf(spec: RawServingSpec): SpecLookups {
  let found = lookups.get(spec);
  if (found === undefined) {
    const label = new Set(spec.labelColumns);
    const keys = new Map<string, RawColumn>();
    for (const column of spec.columns) {
      keys.set(column.name, column);
      if (column.sourceName !== undefined) keys.set(column.sourceName, column);
    }
    found = { label, columns: spec.columns.filter((c) => !label.has(c.name)), keys, nulls: new Set(spec.nullValues) };
    lookups.set(spec, found);
  }
  return found;
}

/** The columns of a record to score, in the order of a checked row's values: every contract column but the label's. */
export function recordColumnsOf(spec: RawServingSpec): readonly RawColumn[] {
  return lookupsOf(spec).columns;
}

/** The keys a record of the spec may use (each column's name and `sourceName`), with their column; made once per spec. */
export function recordKeysOf(spec: RawServingSpec): ReadonlyMap<string, RawColumn> {
  return lookupsOf(spec).keys;
}

const INTEGER = /^ *[+-]?[0-9]+ *$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?$/;

function toValue(value: unknown, column: RawColumn, kind: RawValueKind, nulls: ReadonlySet<string>, index: number): RawValue {
  if (value === undefined || value === null) return null;
  if (kind === 'csv' && typeof value === 'string' && nulls.has(value)) return null;
  const wrongType = (): RawRecordError => new RawRecordError(index, column.name, 'type', `${JSON.stringify(value)} is not ${TYPE_DESCRIPTIONS[column.type]}`);
  switch (column.type) {
    case 'string':
      if (typeof value === 'string') return value;
      // JSON numbers and booleans read as text, as DuckDB reads them into a VARCHAR column of a JSON Lines file.
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw wrongType();
    case 'integer': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && INTEGER.test(value)) {
        const n = Number(value.trim());
        if (Number.isSafeInteger(n)) return n;
      }
      throw wrongType();
    }
    case 'double': {
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '') {
        const n = Number(value.trim());
        if (!Number.isNaN(n)) return n;
      }
      throw wrongType();
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      throw wrongType();
    case 'date': {
      const match = typeof value === 'string' ? DATE.exec(value.trim()) : null;
      if (match === null || !validDate(Number(match[1]), Number(match[2]), Number(match[3]))) throw wrongType();
      return value as string;
    }
    case 'timestamp': {
      const text = typeof value === 'string' ? value.trim() : '';
      const match = TIMESTAMP.exec(text);
      if (match === null || !validDate(Number(match[1]), Number(match[2]), Number(match[3])) || Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59) throw wrongType();
      return text.replace('T', ' ');
    }
  }
}

function validDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function checkRules(value: RawValue, column: RawColumn, index: number): void {
  if (value === null) {
    if (!column.nullable) throw new RawRecordError(index, column.name, 'nullable', 'value is missing');
    // A NULL comparison does not break a rule (contract-rules.ts: "missing values are the nullable rule's business").
    return;
  }
  if (column.allowed !== undefined && !column.allowed.some((allowed) => same(allowed, value, column))) {
    throw new RawRecordError(index, column.name, 'allowed', `${JSON.stringify(value)} is not one of ${column.allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (column.min !== undefined && compare(value, column.min, column) < 0) {
    throw new RawRecordError(index, column.name, 'min', `${JSON.stringify(value)} is below the minimum ${column.min}`);
  }
  if (column.max !== undefined && compare(value, column.max, column) > 0) {
    throw new RawRecordError(index, column.name, 'max', `${JSON.stringify(value)} is above the maximum ${column.max}`);
  }
  if (typeof value === 'string' && column.type === 'string') {
    // regexp_full_match in ingest: the whole value must match.
    if (column.pattern !== undefined && !new RegExp(`^(?:${column.pattern})$`).test(value)) {
      throw new RawRecordError(index, column.name, 'pattern', `${JSON.stringify(value)} does not match /${column.pattern}/`);
    }
    // DuckDB's length() counts characters (code points), not UTF-16 units.
    if (column.maxLength !== undefined && [...value].length > column.maxLength) {
      throw new RawRecordError(index, column.name, 'maxLength', `longer than ${column.maxLength} characters`);
    }
  }
}

function same(allowed: string | number | boolean, value: RawValue, column: RawColumn): boolean {
  if (column.type === 'integer' || column.type === 'double') return Number(allowed) === value;
  if (column.type === 'boolean') return String(allowed) === String(value);
  return String(allowed) === value;
}

function compare(value: RawValue, bound: string | number, column: RawColumn): number {
  if (column.type === 'integer' || column.type === 'double') return (value as number) - Number(bound);
  // Dates and timestamps: ISO text orders as the values do once both are written the same way.
  const a = String(value);
  const b = String(bound).replace('T', ' ');
  return a < b ? -1 : a > b ? 1 : 0;
}
