/**
 * The scoring query of a raw-record featurizer compiled to a JavaScript function of one record: the same feature SQL,
 * read from DuckDB's own parse tree (`json_serialize_sql`), evaluated without a query per request.
 *
 * Why: DuckDB's cost per query is fixed, about 0.6-1 ms of CPU for churn's query however few rows it holds (the
 * executor's set-up and tear-down, core/serving/raw-featurizer.ts), against 40-50 µs for a whole featurized request.
 * A compiled record costs microseconds.
 *
 * What keeps it the same query (core/serving/raw-featurizer.ts decides when it is used):
 * - It compiles only a small, exactly specified part of SQL; anything else leaves the query to DuckDB. The part:
 *   projections over the request's records (subqueries in FROM, `*`, no WHERE, GROUP BY, window, join, ORDER or
 *   LIMIT); constants; columns of type string, integer, double and boolean; `+ - * / % //`; comparisons, `IN`,
 *   `BETWEEN`, `IS [NOT] NULL`, `IS [NOT] DISTINCT FROM`; `AND`, `OR`, `NOT`; `CASE`, `IF`, Trino's `if`,
 *   `COALESCE`, `IFNULL`, `NULLIF`, `GREATEST`, `LEAST`, `ABS`; `lower` and `upper`; `regexp_like` with a constant
 *   pattern in the syntax where RE2 and JavaScript's `u` mode agree; `CAST` between those types where no rounding or
 *   parsing is involved.
 * - The semantics are DuckDB's, as measured on DuckDB 1.5 (test/unit/serving/feature-program.test.ts runs each case
 *   through both, in the Trino session the featurizer runs): three-valued logic, division by zero and an integer's
 *   modulo by zero give NULL (a double's modulo by zero is NaN), `/` of two integers truncates as `//` does (the
 *   session's `integer_division`) and divides as doubles otherwise, `GREATEST` and `LEAST` skip NULLs, `IF`'s NULL
 *   condition takes the else branch, string order is UTF-8 byte order.
 * - Where a record would leave that ground (an integer beyond what a double holds exactly, an overflow, a double that
 *   is not finite, a string whose order or case differs between UTF-16 and UTF-8 or that holds a lone surrogate, a
 *   character RE2's `.` and JavaScript's treat differently, a decimal fraction DuckDB's cast to double may round
 *   otherwise), evaluation stops with {@link RecordNeedsDuckDb} and that record's request goes to DuckDB.
 * - The featurizer checks a compiled program against DuckDB on generated records before using it, and audits the
 *   records it served afterwards (core/serving/raw-featurizer.ts).
 */
import { TRINO_SESSION_SETTINGS } from '../sql/trino-compat.js';
import type { RawValue } from './raw-records.js';
import type { RawColumn } from './raw-serving-spec.js';

/** The SQL types a compiled expression has (DuckDB's, the decimal's width and scale aside). */
export type ProgramType = 'NULL' | 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'DECIMAL' | 'VARCHAR';

/** A value while a record is evaluated: numbers of every numeric type are JS numbers. */
type Value = string | number | boolean | null;

/** One compiled expression: its type and its value for a record. */
interface Compiled {
  readonly type: ProgramType;
  readonly evaluate: (row: readonly RawValue[]) => Value;
  /** Its value when it is a constant (folded at compile time). */
  readonly constant?: { readonly value: Value };
  /** Why a query that reads it does not compile (a column of a type the program does not read). */
  readonly refused?: string;
  /** A DECIMAL's scale, as DuckDB types it (the largest scale of the decimals it is chosen from). */
  readonly scale?: number;
}

/** A record the program cannot evaluate exactly as DuckDB would: its request is featurized by DuckDB. */
export class RecordNeedsDuckDb extends Error {
  public override readonly name = 'RecordNeedsDuckDb';
}

/** One instance, thrown without a new stack each time: it is control flow, caught by the featurizer. */
const NEEDS_DUCKDB = new RecordNeedsDuckDb('this record needs DuckDB');

/** A UTF-16 surrogate that is not half of a pair (`u` mode reads pairs as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/** A feature query outside the part of SQL the program compiles (see the module comment). */
export class UncompilableQueryError extends Error {
  public override readonly name = 'UncompilableQueryError';
}

/** A scoring query compiled to a function of one record. */
export interface FeatureProgram {
  /** Features per record (the query's columns after the record's number and the label). */
  readonly nCols: number;
  /** The type of each feature column, as inferred. */
  readonly types: readonly ProgramType[];
  /**
   * Writes the features of one record (values in the order of the featurizer's columns) at `out[offset…]`, as the
   * float DuckDB's answer converts to (NULL as NaN).
   * @throws RecordNeedsDuckDb when the record must go to DuckDB
   */
  evaluate(row: readonly RawValue[], out: Float32Array, offset: number): void;
}

/** Where a compiled query reads the records: the relation's name and the columns of a record, in order. */
export interface ProgramInput {
  /** The relation the scoring query reads (unquoted, e.g. `__sluice_raw_records`). */
  readonly relation: string;
  /** The column holding the record's number, selected first by the scoring query. */
  readonly recordColumn: string;
  /** The record's columns, in the order of a checked row's values. */
  readonly columns: readonly RawColumn[];
}

/**
 * Compiles a scoring query (its parse tree from DuckDB's `json_serialize_sql`) whose first column is the record's
 * number and second the label, then the features.
 *
 * @param duckDbTypes the query's column types as DuckDB prepared them: a compiled type that disagrees refuses the query
 * @throws UncompilableQueryError naming the first part outside the compiled SQL
 */
export function compileFeatureProgram(parseTree: unknown, input: ProgramInput, duckDbTypes: readonly string[]): FeatureProgram {
  const statements = field(parseTree, 'statements');
  if (field(parseTree, 'error') === true) throw new UncompilableQueryError(`DuckDB could not serialize the query: ${String(field(parseTree, 'error_message'))}`);
  if (!Array.isArray(statements) || statements.length !== 1) throw new UncompilableQueryError('not one statement');
  const outputs = compileSelect(field(statements[0], 'node'), input);
  if (outputs.length !== duckDbTypes.length) throw new UncompilableQueryError(`${outputs.length} columns compiled, DuckDB's query has ${duckDbTypes.length}`);
  for (const [i, output] of outputs.entries()) {
    if (i === 0) continue;
    if (!sameKind(output.node.type, duckDbTypes[i] ?? '')) throw new UncompilableQueryError(`column ${i + 1} (${output.name ?? '?'}): compiled as ${output.node.type}, DuckDB types it ${duckDbTypes[i] ?? '?'}`);
  }
  const features = outputs.slice(2).map((o) => o.node);
  for (const [j, feature] of features.entries()) {
    if (feature.refused !== undefined) throw new UncompilableQueryError(feature.refused);
    if (feature.type === 'VARCHAR') throw new UncompilableQueryError(`feature ${j + 1} is text`);
  }
  const evaluators = features.map((f) => f.evaluate);
  return {
    nCols: features.length,
    types: features.map((f) => f.type),
    evaluate(row, out, offset) {
      for (let j = 0; j < evaluators.length; j++) out[offset + j] = toFeature((evaluators[j] as Compiled['evaluate'])(row));
    },
  };
}

/** A feature as `Number(value)` and a `Float32Array` store give it (NULL is NaN, a missing value). */
function toFeature(value: Value): number {
  return toFeatureOrNull(value) ?? Number.NaN;
}

/** Whether a compiled type is the type DuckDB gave the column (integers of any width alike, decimals of any scale). */
function sameKind(type: ProgramType, duckDb: string): boolean {
  if (type === 'INTEGER' || type === 'BIGINT') return ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'].includes(duckDb);
  if (type === 'DECIMAL') return duckDb.startsWith('DECIMAL(');
  if (type === 'NULL') return true;
  return type === duckDb;
}

/** A relation's columns: its alias (for qualified references) and its columns in order. */
interface Scope {
  readonly alias: string | undefined;
  readonly columns: readonly { readonly name: string | undefined; readonly node: Compiled }[];
}

function compileSelect(node: unknown, input: ProgramInput): { readonly name: string | undefined; readonly node: Compiled }[] {
  if (field(node, 'type') !== 'SELECT_NODE') throw new UncompilableQueryError(`a ${String(field(node, 'type'))} (only a SELECT list compiles)`);
  const modifiers = field(node, 'modifiers');
  if (Array.isArray(modifiers) && modifiers.length > 0) throw new UncompilableQueryError('ORDER BY, LIMIT or DISTINCT');
  const ctes = field(field(node, 'cte_map'), 'map');
  if (Array.isArray(ctes) && ctes.length > 0) throw new UncompilableQueryError('a WITH clause');
  for (const clause of ['where_clause', 'having', 'qualify', 'sample'] as const) {
    if (field(node, clause) !== null && field(node, clause) !== undefined) throw new UncompilableQueryError(`a ${clause.replace('_clause', '').toUpperCase()} clause`);
  }
  const groups = field(node, 'group_expressions');
  if (Array.isArray(groups) && groups.length > 0) throw new UncompilableQueryError('GROUP BY');
  if (field(node, 'aggregate_handling') !== 'STANDARD_HANDLING') throw new UncompilableQueryError('GROUP BY ALL');
  const scope = compileFrom(field(node, 'from_table'), input);
  const list = field(node, 'select_list');
  if (!Array.isArray(list)) throw new UncompilableQueryError('no SELECT list');
  const outputs: { name: string | undefined; node: Compiled }[] = [];
  for (const expression of list) {
    if (field(expression, 'class') === 'STAR') {
      for (const key of ['exclude_list', 'replace_list', 'rename_list']) {
        const entries = field(expression, key);
        if (Array.isArray(entries) && entries.length > 0) throw new UncompilableQueryError('* with EXCLUDE, REPLACE or RENAME');
      }
      if (field(expression, 'columns') === true || (field(expression, 'expr') ?? null) !== null) throw new UncompilableQueryError('COLUMNS(*)');
      const relation = field(expression, 'relation_name');
      if (typeof relation === 'string' && relation !== '' && !sameName(relation, scope.alias)) throw new UncompilableQueryError(`${relation}.* of another relation`);
      outputs.push(...scope.columns);
      continue;
    }
    const compiled = compileExpression(expression, scope);
    const alias = field(expression, 'alias');
    const names = field(expression, 'column_names');
    const name = typeof alias === 'string' && alias !== '' ? alias : Array.isArray(names) ? (names.at(-1) as string | undefined) : undefined;
    outputs.push({ name, node: compiled });
  }
  return outputs;
}

function compileFrom(from: unknown, input: ProgramInput): Scope {
  const type = field(from, 'type');
  const alias = stringField(from, 'alias');
  const renames = field(from, 'column_name_alias');
  if (Array.isArray(renames) && renames.length > 0) throw new UncompilableQueryError('column aliases on a relation');
  if (field(from, 'sample') !== null && field(from, 'sample') !== undefined) throw new UncompilableQueryError('TABLESAMPLE');
  if (type === 'BASE_TABLE') {
    const table = stringField(from, 'table_name');
    if (table !== input.relation || (stringField(from, 'schema_name') ?? '') !== '' || (stringField(from, 'catalog_name') ?? '') !== '') {
      throw new UncompilableQueryError(`the table ${String(table)} (only the request's records compile)`);
    }
    const record: Compiled = {
      type: 'BIGINT',
      evaluate: () => {
        throw NEEDS_DUCKDB;
      },
    };
    return {
      alias: alias ?? table,
      columns: [{ name: input.recordColumn, node: record }, ...input.columns.map((column, j) => ({ name: column.name, node: columnReader(column, j) }))],
    };
  }
  if (type === 'SUBQUERY') {
    const columns = compileSelect(field(field(from, 'subquery'), 'node'), input);
    return { alias, columns };
  }
  throw new UncompilableQueryError(`a FROM ${String(type)} (only the request's records or a subquery over them compile)`);
}

function columnReader(column: RawColumn, j: number): Compiled {
  const types: Partial<Record<RawColumn['type'], ProgramType>> = { string: 'VARCHAR', integer: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN' };
  const type = types[column.type];
  if (type === undefined) {
    // A date or timestamp column: the query compiles only while no expression reads it.
    return {
      type: 'VARCHAR',
      evaluate: () => {
        throw NEEDS_DUCKDB;
      },
      refused: `the ${column.type} column ${column.name}`,
    };
  }
  return {
    type,
    evaluate: (row) => {
      const value = row[j] ?? null;
      if (type === 'DOUBLE' && typeof value === 'number' && !Number.isFinite(value)) throw NEEDS_DUCKDB;
      if (type === 'BIGINT' && typeof value === 'number' && !Number.isSafeInteger(value)) throw NEEDS_DUCKDB;
      return value;
    },
  };
}

function compileExpression(node: unknown, scope: Scope): Compiled {
  const kind = field(node, 'class');
  const type = field(node, 'type');
  if (field(node, 'try_cast') === true) throw new UncompilableQueryError('TRY_CAST');
  switch (kind) {
    case 'COLUMN_REF':
      return columnRef(node, scope);
    case 'CONSTANT':
      return constantOf(field(node, 'value'));
    case 'CAST':
      return castOf(compileExpression(field(node, 'child'), scope), field(field(node, 'cast_type'), 'id'), field(field(node, 'cast_type'), 'type_info'));
    case 'COMPARISON':
      return comparison(String(type), compileExpression(field(node, 'left'), scope), compileExpression(field(node, 'right'), scope));
    case 'CONJUNCTION':
      return conjunction(String(type), childrenOf(node, scope));
    case 'OPERATOR':
      return operator(String(type), childrenOf(node, scope));
    case 'BETWEEN': {
      const value = compileExpression(field(node, 'input'), scope);
      const lower = comparison('COMPARE_GREATERTHANOREQUALTO', value, compileExpression(field(node, 'lower'), scope));
      const upper = comparison('COMPARE_LESSTHANOREQUALTO', value, compileExpression(field(node, 'upper'), scope));
      return conjunction('CONJUNCTION_AND', [lower, upper]);
    }
    case 'CASE':
      return caseOf(node, scope);
    case 'FUNCTION':
      return functionOf(node, scope);
    default:
      throw new UncompilableQueryError(`a ${String(kind)} expression`);
  }
}

function childrenOf(node: unknown, scope: Scope): Compiled[] {
  const children = field(node, 'children');
  if (!Array.isArray(children)) throw new UncompilableQueryError(`a ${String(field(node, 'type'))} without arguments`);
  return children.map((child) => compileExpression(child, scope));
}

function columnRef(node: unknown, scope: Scope): Compiled {
  const names = field(node, 'column_names');
  if (!Array.isArray(names) || names.length < 1 || names.length > 2) throw new UncompilableQueryError('a column reference');
  if (names.length === 2 && !sameName(String(names[0]), scope.alias)) throw new UncompilableQueryError(`the column ${names.join('.')} of another relation`);
  const name = String(names.at(-1));
  const matches = scope.columns.filter((c) => sameName(name, c.name));
  if (matches.length !== 1) throw new UncompilableQueryError(matches.length === 0 ? `the column ${name} (not found)` : `the column ${name} (ambiguous)`);
  const { node: column } = matches[0] as { readonly node: Compiled };
  if (column.refused !== undefined) throw new UncompilableQueryError(column.refused);
  return column;
}

/** DuckDB's identifiers are case-insensitive. */
function sameName(a: string, b: string | undefined): boolean {
  return b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function constant(type: ProgramType, value: Value, scale?: number): Compiled {
  return { type, evaluate: () => value, constant: { value }, ...(scale === undefined ? {} : { scale }) };
}

function constantOf(value: unknown): Compiled {
  const id = field(field(value, 'type'), 'id');
  if (field(value, 'is_null') === true) return constant(id === 'NULL' ? 'NULL' : typeOfId(id), null, decimalScale(id, field(field(value, 'type'), 'type_info')));
  const raw = field(value, 'value');
  switch (id) {
    case 'INTEGER':
    case 'SMALLINT':
    case 'TINYINT':
      return constant('INTEGER', Number(raw));
    case 'BIGINT': {
      const number = Number(raw);
      if (!Number.isSafeInteger(number)) throw new UncompilableQueryError(`the integer ${String(raw)} (beyond 2^53)`);
      return constant('BIGINT', number);
    }
    case 'DOUBLE':
      return constant('DOUBLE', Number(raw));
    case 'DECIMAL': {
      const scale = Number(field(field(field(value, 'type'), 'type_info'), 'scale'));
      const digits = String(raw);
      if (!/^-?\d+$/.test(digits) || !(scale >= 0 && scale <= 18) || digits.replace('-', '').length > 15) throw new UncompilableQueryError(`the decimal ${digits}e-${scale}`);
      // The decimal's text, read as a double: the correctly rounded value, as DuckDB's DECIMAL to DOUBLE cast gives it.
      const negative = digits.startsWith('-');
      const magnitude = (negative ? digits.slice(1) : digits).padStart(scale + 1, '0');
      return constant('DECIMAL', Number(`${negative ? '-' : ''}${magnitude.slice(0, magnitude.length - scale)}.${magnitude.slice(magnitude.length - scale) || '0'}`), scale);
    }
    case 'VARCHAR':
      return constant('VARCHAR', String(raw));
    case 'BOOLEAN':
      return constant('BOOLEAN', raw === true);
    default:
      throw new UncompilableQueryError(`a ${String(id)} constant`);
  }
}

/** The scale of a DECIMAL type (from its `type_info`); undefined for other types. */
function decimalScale(id: unknown, info: unknown): number | undefined {
  if (id !== 'DECIMAL') return undefined;
  const scale = Number(field(info, 'scale'));
  if (!(Number.isInteger(scale) && scale >= 0 && scale <= 38)) throw new UncompilableQueryError('a DECIMAL without its scale');
  return scale;
}

function typeOfId(id: unknown): ProgramType {
  switch (id) {
    case 'INTEGER':
    case 'SMALLINT':
    case 'TINYINT':
      return 'INTEGER';
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'VARCHAR':
    case 'BOOLEAN':
      return id;
    default:
      throw new UncompilableQueryError(`the type ${String(id)}`);
  }
}

const NUMERIC: ReadonlySet<ProgramType> = new Set(['INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL']);

function castOf(child: Compiled, target: unknown, info: unknown): Compiled {
  if (info !== null && info !== undefined && target !== 'DECIMAL') throw new UncompilableQueryError(`a CAST to ${String(target)} with type details`);
  const to = typeOfId(target);
  if (child.type === 'NULL') return constant(to, null, decimalScale(target, info));
  // The program keeps every integer narrower than BIGINT as an INTEGER: a cast to SMALLINT or TINYINT would overflow
  // (DuckDB: "out of range for the destination type INT16") where the program's INTEGER does not.
  if (target === 'SMALLINT' || target === 'TINYINT') throw new UncompilableQueryError(`a CAST to ${target}`);
  if (to === child.type && to !== 'DECIMAL') return child;
  if (to === 'DOUBLE' && (NUMERIC.has(child.type) || child.type === 'BOOLEAN')) {
    return { type: 'DOUBLE', evaluate: (row) => toFeatureOrNull(child.evaluate(row)) };
  }
  if ((to === 'INTEGER' || to === 'BIGINT') && (child.type === 'INTEGER' || child.type === 'BIGINT' || child.type === 'BOOLEAN')) {
    const limit = to === 'INTEGER' ? 2 ** 31 : 2 ** 53;
    return {
      type: to,
      evaluate: (row) => {
        const value = toFeatureOrNull(child.evaluate(row));
        if (value !== null && (value >= limit || value < -limit)) throw NEEDS_DUCKDB;
        return value;
      },
    };
  }
  if (to === 'BOOLEAN' && child.type === 'VARCHAR' && child.constant !== undefined) {
    // TRUE and FALSE are parsed as CAST('t' AS BOOLEAN) and CAST('f' AS BOOLEAN).
    const text = String(child.constant.value).toLowerCase();
    if (text === 't' || text === 'true') return constant('BOOLEAN', true);
    if (text === 'f' || text === 'false') return constant('BOOLEAN', false);
  }
  if (to === 'BOOLEAN' && (child.type === 'INTEGER' || child.type === 'BIGINT')) {
    return { type: 'BOOLEAN', evaluate: (row) => nullOr(child.evaluate(row), (v) => v !== 0) };
  }
  throw new UncompilableQueryError(`a CAST from ${child.type} to ${to}`);
}

function toFeatureOrNull(value: Value): number | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as number;
}

function nullOr<T>(value: Value, then: (value: Value) => T): T | null {
  return value === null ? null : then(value);
}

/** The type two operands are compared or chosen in, as DuckDB's max logical type picks it (or refused). */
function common(a: ProgramType, b: ProgramType, what: string): ProgramType {
  if (a === 'NULL') return b;
  if (b === 'NULL' || a === b) return a;
  if (NUMERIC.has(a) && NUMERIC.has(b)) {
    if (a === 'DOUBLE' || b === 'DOUBLE') return 'DOUBLE';
    if (a === 'DECIMAL' || b === 'DECIMAL') return 'DECIMAL';
    return 'BIGINT';
  }
  throw new UncompilableQueryError(`${what} of ${a} and ${b}`);
}

/** Characters whose order in UTF-16 differs from UTF-8's byte order, or which are not valid text. */
const UTF16_ORDER_DIFFERS = /[\uD800-\uFFFF]/;

function compareValues(a: Value, b: Value, type: ProgramType): number {
  if (type === 'VARCHAR') {
    const x = a as string;
    const y = b as string;
    if (x === y) return 0;
    if (UTF16_ORDER_DIFFERS.test(x) || UTF16_ORDER_DIFFERS.test(y)) throw NEEDS_DUCKDB;
    return x < y ? -1 : 1;
  }
  const x = toFeatureOrNull(a) as number;
  const y = toFeatureOrNull(b) as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparison(type: string, left: Compiled, right: Compiled): Compiled {
  const operand = common(left.type, right.type, 'a comparison');
  const equality = type === 'COMPARE_EQUAL' || type === 'COMPARE_NOTEQUAL' || type === 'COMPARE_DISTINCT_FROM' || type === 'COMPARE_NOT_DISTINCT_FROM';
  const test: ((order: number) => boolean) | undefined = {
    COMPARE_EQUAL: (o: number) => o === 0,
    COMPARE_NOTEQUAL: (o: number) => o !== 0,
    COMPARE_LESSTHAN: (o: number) => o < 0,
    COMPARE_GREATERTHAN: (o: number) => o > 0,
    COMPARE_LESSTHANOREQUALTO: (o: number) => o <= 0,
    COMPARE_GREATERTHANOREQUALTO: (o: number) => o >= 0,
    COMPARE_DISTINCT_FROM: (o: number) => o !== 0,
    COMPARE_NOT_DISTINCT_FROM: (o: number) => o === 0,
  }[type];
  if (test === undefined) throw new UncompilableQueryError(`the comparison ${type}`);
  // A lone surrogate (JSON can carry "\ud800") is not text DuckDB holds: strings JavaScript tells apart may be one
  // string to DuckDB (each lone surrogate a U+FFFD, say). Not against a constant free of surrogates and U+FFFD, which
  // no such string can equal in either. (Checked here, not when a column is read: that cost churn a quarter of its
  // 0.6-0.8 µs per record, CPU, three paired runs.)
  const textChecked = operand === 'VARCHAR' && !(wellFormedConstant(left) || wellFormedConstant(right));
  const order = (a: Value, b: Value): number => {
    if (!equality || operand !== 'VARCHAR') return compareValues(a, b, operand);
    if (a === b) return 0;
    if (textChecked && (LONE_SURROGATE.test(a as string) || LONE_SURROGATE.test(b as string))) throw NEEDS_DUCKDB;
    return 1;
  };
  if (type === 'COMPARE_DISTINCT_FROM' || type === 'COMPARE_NOT_DISTINCT_FROM') {
    const whenOneNull = type === 'COMPARE_DISTINCT_FROM';
    return {
      type: 'BOOLEAN',
      evaluate: (row) => {
        const a = left.evaluate(row);
        const b = right.evaluate(row);
        if (a === null || b === null) return a === null && b === null ? !whenOneNull : whenOneNull;
        return test(order(a, b));
      },
    };
  }
  return {
    type: 'BOOLEAN',
    evaluate: (row) => {
      const a = left.evaluate(row);
      if (a === null) return null;
      const b = right.evaluate(row);
      if (b === null) return null;
      return test(order(a, b));
    },
  };
}

/** A text constant no string holding a lone surrogate can equal, in JavaScript or in DuckDB. */
function wellFormedConstant(node: Compiled): boolean {
  return node.constant !== undefined && typeof node.constant.value === 'string' && !/[\uD800-\uDFFF\uFFFD]/.test(node.constant.value);
}

function requireBoolean(nodes: readonly Compiled[], what: string): void {
  for (const node of nodes) if (node.type !== 'BOOLEAN' && node.type !== 'NULL') throw new UncompilableQueryError(`${what} of a ${node.type}`);
}

function conjunction(type: string, children: readonly Compiled[]): Compiled {
  requireBoolean(children, type);
  const and = type === 'CONJUNCTION_AND';
  if (!and && type !== 'CONJUNCTION_OR') throw new UncompilableQueryError(`the conjunction ${type}`);
  return {
    type: 'BOOLEAN',
    evaluate: (row) => {
      let unknown = false;
      for (const child of children) {
        const value = child.evaluate(row);
        if (value === null) unknown = true;
        else if (value === !and) return !and;
      }
      return unknown ? null : and;
    },
  };
}

function operator(type: string, children: readonly Compiled[]): Compiled {
  const [first, ...rest] = children;
  if (first === undefined) throw new UncompilableQueryError(`${type} without arguments`);
  switch (type) {
    case 'OPERATOR_NOT':
      requireBoolean(children, 'NOT');
      return { type: 'BOOLEAN', evaluate: (row) => nullOr(first.evaluate(row), (v) => !(v as boolean)) };
    case 'OPERATOR_IS_NULL':
      return { type: 'BOOLEAN', evaluate: (row) => first.evaluate(row) === null };
    case 'OPERATOR_IS_NOT_NULL':
      return { type: 'BOOLEAN', evaluate: (row) => first.evaluate(row) !== null };
    case 'OPERATOR_COALESCE':
      return coalesce(children);
    case 'COMPARE_IN':
    case 'COMPARE_NOT_IN': {
      const equals = rest.map((item) => comparison('COMPARE_EQUAL', first, item));
      const any = conjunction('CONJUNCTION_OR', equals);
      return type === 'COMPARE_IN' ? any : { type: 'BOOLEAN', evaluate: (row) => nullOr(any.evaluate(row), (v) => !(v as boolean)) };
    }
    default:
      throw new UncompilableQueryError(`the operator ${type}`);
  }
}

function coalesce(children: readonly Compiled[]): Compiled {
  const type = children.reduce<ProgramType>((t, c) => common(t, c.type, 'COALESCE'), 'NULL');
  return chosen(type, children, (row) => {
    for (const child of children) {
      const value = child.evaluate(row);
      if (value !== null) return value;
    }
    return null;
  });
}

/**
 * A value chosen among `from` (CASE, COALESCE, GREATEST, LEAST) in `type`. When that is a DECIMAL, DuckDB holds the
 * value as its digits at the largest scale of the decimals chosen among (`CASE … THEN 1234567.1 ELSE 1e-18 END` is a
 * DECIMAL(26,18); an integer branch is promoted: `COALESCE(i, 0.5)` is a DECIMAL(20,1)). DuckDB's DECIMAL to DOUBLE
 * cast (`TryCastDecimalToFloatingPoint`, src/common/operator/cast_operators.cpp in duckdb/duckdb) divides the digits by
 * 10^scale when they convert to a double exactly, which is the correctly rounded double the program holds; otherwise
 * it adds the integer part's double and the fraction's, which is exact for an integer and may be a rounding off for
 * anything else. So a value that is not an integer and whose digits reach 2^53 is DuckDB's to convert.
 */
function chosen(type: ProgramType, from: readonly Compiled[], evaluate: Compiled['evaluate']): Compiled {
  if (type !== 'DECIMAL') return { type, evaluate };
  const scale = Math.max(0, ...from.map((c) => (c.type === 'DECIMAL' ? (c.scale ?? 0) : 0)));
  // 10^scale is exact in a double up to 10^22, so `|v| * 10^scale >= 2^53` errs only towards DuckDB (it is exact for
  // the integer, and rounds up, never down, across 2^53).
  if (scale > 22) throw new UncompilableQueryError(`a DECIMAL of scale ${scale}`);
  const power = 10 ** scale;
  return {
    type,
    scale,
    evaluate: (row) => {
      const value = evaluate(row);
      if (value !== null && Math.abs(value as number) * power >= 2 ** 53 && !Number.isInteger(value)) throw NEEDS_DUCKDB;
      return value;
    },
  };
}

function caseOf(node: unknown, scope: Scope): Compiled {
  const checks = field(node, 'case_checks');
  if (!Array.isArray(checks) || checks.length === 0) throw new UncompilableQueryError('a CASE without WHEN');
  const whens = checks.map((check) => compileExpression(field(check, 'when_expr'), scope));
  const thens = checks.map((check) => compileExpression(field(check, 'then_expr'), scope));
  const otherwise = compileExpression(field(node, 'else_expr'), scope);
  return choose(whens, thens, otherwise);
}

function choose(whens: readonly Compiled[], thens: readonly Compiled[], otherwise: Compiled): Compiled {
  requireBoolean(whens, 'CASE WHEN');
  const type = [...thens, otherwise].reduce<ProgramType>((t, c) => common(t, c.type, 'CASE'), 'NULL');
  return chosen(type, [...thens, otherwise], (row) => {
    for (let k = 0; k < whens.length; k++) {
      if ((whens[k] as Compiled).evaluate(row) === true) return (thens[k] as Compiled).evaluate(row);
    }
    return otherwise.evaluate(row);
  });
}

function functionOf(node: unknown, scope: Scope): Compiled {
  const name = String(field(node, 'function_name')).toLowerCase();
  if ((stringField(node, 'schema') ?? '') !== '' || (stringField(node, 'catalog') ?? '') !== '') throw new UncompilableQueryError(`the function ${name} of a schema`);
  if (field(node, 'distinct') === true || (field(node, 'filter') ?? null) !== null) throw new UncompilableQueryError(`${name} with DISTINCT or FILTER`);
  const orders = field(field(node, 'order_bys'), 'orders');
  if (Array.isArray(orders) && orders.length > 0) throw new UncompilableQueryError(`${name} with ORDER BY`);
  const args = childrenOf(node, scope);
  const arity = (min: number, max = min): void => {
    if (args.length < min || args.length > max) throw new UncompilableQueryError(`${name} with ${args.length} arguments`);
  };
  switch (name) {
    case '+':
    case '-':
      arity(1, 2);
      return args.length === 1 ? (name === '-' ? negate(args[0] as Compiled) : numeric(args[0] as Compiled, name)) : arithmetic(name, args[0] as Compiled, args[1] as Compiled);
    case '*':
    case '/':
    case '%':
    case '//':
      arity(2);
      return arithmetic(name, args[0] as Compiled, args[1] as Compiled);
    case 'if':
    case 'trino_if': {
      arity(name === 'if' ? 3 : 2, 3);
      return choose([args[0] as Compiled], [args[1] as Compiled], args[2] ?? constant('NULL', null));
    }
    case 'ifnull':
      arity(2);
      return coalesce(args);
    case 'nullif': {
      arity(2);
      const [value, other] = args as [Compiled, Compiled];
      const same = comparison('COMPARE_EQUAL', value, other);
      // Compared in the common type, answered in the first argument's (DuckDB: nullif(2, 2.5) is the INTEGER 2).
      return sameType(value, (row) => (same.evaluate(row) === true ? null : value.evaluate(row)));
    }
    case 'greatest':
    case 'least':
      return extreme(name, args);
    case 'abs': {
      arity(1);
      const value = numeric(args[0] as Compiled, name);
      return sameType(value, (row) => nullOr(value.evaluate(row), (v) => checkedNumber(Math.abs(v as number), value.type)));
    }
    case 'lower':
    case 'upper':
      arity(1);
      return changeCase(args[0] as Compiled, name);
    case 'regexp_like':
    case 'regexp_matches':
      arity(2);
      return regexpLike(args[0] as Compiled, args[1] as Compiled);
    default:
      throw new UncompilableQueryError(`the function ${name}`);
  }
}

/** An expression of `node`'s type (and scale). */
function sameType(node: Compiled, evaluate: Compiled['evaluate']): Compiled {
  return { type: node.type, evaluate, ...(node.scale === undefined ? {} : { scale: node.scale }) };
}

function numeric(node: Compiled, what: string): Compiled {
  if (node.type === 'NULL') return { type: 'INTEGER', evaluate: node.evaluate };
  if (!NUMERIC.has(node.type)) throw new UncompilableQueryError(`${what} of a ${node.type}`);
  return node;
}

/**
 * An integer result within its type's exact range, or a finite double; anything else is DuckDB's to decide. An
 * integer zero is +0 (JavaScript's `0 * -5`, `-0` and `-4 % 2` are -0, which a later division or cast would keep).
 */
function checkedNumber(value: number, type: ProgramType): number {
  if (type === 'INTEGER' ? !(value >= -(2 ** 31) && value < 2 ** 31) : type === 'BIGINT' ? !Number.isSafeInteger(value) : !Number.isFinite(value)) throw NEEDS_DUCKDB;
  return type === 'DOUBLE' || value !== 0 ? value : 0;
}

/**
 * Whether `/` divides integers as integers: the session the featurizer's DuckDB runs (`installTrinoCompat`) sets
 * DuckDB's `integer_division`, so that `5 / 2` is 2 as in Trino (measured: `-7 / 2` is -3, typed INTEGER).
 */
const INTEGER_DIVISION = TRINO_SESSION_SETTINGS.some((setting) => /\binteger_division\s*=\s*true\b/i.test(setting));

function negate(operand: Compiled): Compiled {
  const value = numeric(operand, 'a minus sign');
  if (value.type === 'DECIMAL') throw new UncompilableQueryError('a negated DECIMAL');
  return { type: value.type, evaluate: (row) => nullOr(value.evaluate(row), (v) => checkedNumber(-(v as number), value.type)) };
}

function arithmetic(name: string, leftNode: Compiled, rightNode: Compiled): Compiled {
  const left = numeric(leftNode, name);
  const right = numeric(rightNode, name);
  const operand = common(left.type, right.type, name);
  if (operand === 'DECIMAL') throw new UncompilableQueryError(`${name} on a DECIMAL (exact decimal arithmetic)`);
  const integers = operand !== 'DOUBLE';
  const divides = name === '//' || (name === '/' && integers && INTEGER_DIVISION) ? '//' : name;
  const type: ProgramType = divides === '/' ? 'DOUBLE' : left.type === 'INTEGER' && right.type === 'INTEGER' ? 'INTEGER' : operand;
  // DuckDB's `//` of doubles divides without truncating (measured: 7.0 // 2 is 3.5): not the program's.
  if (name === '//' && !integers) throw new UncompilableQueryError('// on a DOUBLE');
  const apply: (a: number, b: number) => number | null = {
    '+': (a: number, b: number) => a + b,
    '-': (a: number, b: number) => a - b,
    '*': (a: number, b: number) => a * b,
    // Division by zero (or -0) is NULL for integers and doubles alike (measured: 1 / 0, 1.5 / -0.0).
    '/': (a: number, b: number) => (b === 0 ? null : a / b),
    // An integer modulo by zero is NULL; a double's is NaN (measured: 5.5 % 0.0), which checkedNumber leaves to DuckDB.
    '%': (a: number, b: number) => (b === 0 && integers ? null : a % b),
    // Truncated, as DuckDB's integer division. Exact for integers below 2^53: when a / b is not an integer it lies at
    // least 1 / |b| from one, and the double quotient errs by at most |a / b| * 2^-53 < 1 / |b|, so it truncates alike.
    '//': (a: number, b: number) => (b === 0 ? null : Math.trunc(a / b)),
  }[divides] as (a: number, b: number) => number | null;
  return {
    type,
    evaluate: (row) => {
      const a = left.evaluate(row);
      if (a === null) return null;
      const b = right.evaluate(row);
      if (b === null) return null;
      const result = apply(a as number, b as number);
      return result === null ? null : checkedNumber(result, type);
    },
  };
}

function extreme(name: string, args: readonly Compiled[]): Compiled {
  if (args.length === 0) throw new UncompilableQueryError(`${name} without arguments`);
  const type = args.reduce<ProgramType>((t, c) => common(t, c.type, name), 'NULL');
  if (!NUMERIC.has(type) && type !== 'NULL') throw new UncompilableQueryError(`${name} of ${type}`);
  const greatest = name === 'greatest';
  return chosen(type, args, (row) => {
    let best: number | null = null;
    for (const arg of args) {
      const value = arg.evaluate(row) as number | null;
      if (value !== null && (best === null || (greatest ? value > best : value < best))) best = value;
    }
    return best;
  });
}

/** Text whose case mapping or character classes may differ between JavaScript and DuckDB: anything beyond ASCII. */
const BEYOND_ASCII = /[\u0080-\uFFFF]/;

function changeCase(node: Compiled, name: 'lower' | 'upper'): Compiled {
  if (node.type !== 'VARCHAR' && node.type !== 'NULL') throw new UncompilableQueryError(`${name} of a ${node.type}`);
  return {
    type: 'VARCHAR',
    evaluate: (row) =>
      nullOr(node.evaluate(row), (v) => {
        const text = v as string;
        if (BEYOND_ASCII.test(text)) throw NEEDS_DUCKDB;
        return name === 'lower' ? text.toLowerCase() : text.toUpperCase();
      }),
  };
}

function regexpLike(subject: Compiled, pattern: Compiled): Compiled {
  if (subject.type !== 'VARCHAR' && subject.type !== 'NULL') throw new UncompilableQueryError(`regexp_like of a ${subject.type}`);
  if (pattern.constant === undefined || typeof pattern.constant.value !== 'string') throw new UncompilableQueryError('regexp_like with a pattern that is not a constant');
  const { expression, dot } = portablePattern(pattern.constant.value);
  return {
    type: 'BOOLEAN',
    evaluate: (row) =>
      nullOr(subject.evaluate(row), (v) => {
        const text = v as string;
        // RE2's `.` excludes only \n, JavaScript's \r, U+2028 and U+2029 too (measured: regexp_matches(E'a\rb', 'a.b')
        // is true); a lone surrogate is not text RE2 reads.
        if ((dot && LINE_ENDS_JS_ONLY.test(text)) || LONE_SURROGATE.test(text)) throw NEEDS_DUCKDB;
        return expression.test(text);
      }),
  };
}

const LINE_ENDS_JS_ONLY = /[\r\u2028\u2029]/;

/**
 * A regular expression in the syntax where RE2 (DuckDB's) and JavaScript's `u` mode match the same strings: literal
 * characters, escaped punctuation, `\d` and `\w`, `.`, `^` and `$` (at the text's ends, neither being multi-line),
 * groups, `(?:`, `|`, the quantifiers and their lazy forms, and character classes of those. `\s` (whose spaces
 * differ), other escapes, flags, named groups, look-around and back-references are refused.
 */
function portablePattern(pattern: string): { readonly expression: RegExp; readonly dot: boolean } {
  let dot = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!/[\\^$.|?*+()[\]{}/\-dwDW]/.test(next)) throw new UncompilableQueryError(`regexp_like's escape \\${next}`);
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[') throw new UncompilableQueryError('regexp_like with [ inside a class');
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') throw new UncompilableQueryError('regexp_like with ] first in a class');
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      if (pattern[i + 2] !== ':') throw new UncompilableQueryError('regexp_like with a (? group other than (?:');
      i += 2;
      continue;
    }
    if (c === '.') dot = true;
    if (c === '{' && !/^\{\d+(,\d*)?\}/.test(pattern.slice(i))) throw new UncompilableQueryError('regexp_like with a { that is not a repetition');
  }
  if (inClass) throw new UncompilableQueryError('regexp_like with an unclosed class');
  try {
    return { expression: new RegExp(pattern, 'u'), dot };
  } catch (error) {
    throw new UncompilableQueryError(`regexp_like's pattern: ${(error as Error).message}`);
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' && found !== '' ? found : undefined;
}
