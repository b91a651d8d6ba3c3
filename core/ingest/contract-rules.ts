import type { ColumnType } from '../spec/schema.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { numberLiteral, quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import { TYPE_DESCRIPTIONS } from './type-descriptions.js';

/** One check of the data contract on one column, as SQL that is true when a row breaks it. */
export interface ContractRule {
  /** Small integer used in the staging partition key; stable for a given spec. */
  id: number;
  column: string;
  kind: 'nullable' | 'allowed' | 'min' | 'max' | 'pattern' | 'maxLength' | 'type' | 'record';
  /** What a person reads in the quarantine file. */
  message: string;
  /** A SQL expression for the message when it quotes the row's value; `message` otherwise. */
  messageSql?: string;
  /** When this rule is broken, the row's other rules are not reported (a line that is not a record breaks them all). */
  exclusive?: boolean;
  /** A boolean SQL expression over the typed column, true when the row breaks the rule. */
  violatedWhen: string;
}

type Column = PipelineSpec['contract']['columns'][number];

/** The SQL type a contract column is read as. */
export function sqlType(type: ColumnType): string {
  return COLUMN_TYPES[type];
}

function valueLiteral(value: string | number | boolean, type: ColumnType): string {
  if (type === 'integer' || type === 'double') {
    const n = typeof value === 'number' ? value : Number(value);
    return numberLiteral(n);
  }
  if (type === 'boolean') return String(value) === 'true' ? 'TRUE' : 'FALSE';
  const text = quoteLiteral(String(value));
  return type === 'string' ? text : `CAST(${text} AS ${sqlType(type)})`;
}

/**
 * String columns with an `allowed` list that the CSV reader checks itself, by reading them as an ENUM of the
 * allowed values: a value outside the list is rejected with its line, like a value of the wrong type, at the cost of
 * a dictionary lookup instead of string comparisons on every row.
 */
export function enumColumns(columns: readonly Column[]): Column[] {
  return columns.filter((c) => c.type === 'string' && c.allowed !== undefined);
}

/** The ENUM type a column with an allowed list is read as. */
export function enumTypeName(column: string): string {
  return `sluice_allowed_${column}`;
}

/** Statements creating the ENUM types of `enumColumns`. */
export function enumTypesSql(columns: readonly Column[]): string[] {
  return enumColumns(columns).map(
    (c) => `CREATE TYPE ${quoteIdentifier(enumTypeName(c.name))} AS ENUM (${(c.allowed ?? []).map((v) => quoteLiteral(String(v))).join(', ')})`,
  );
}

/**
 * Turns the contract into rules. Types are not rules here: the reader casts while it reads, and a value that does
 * not cast is rejected by the reader itself with its line (see `ingest-sql.ts`).
 */
export function contractRules(
  columns: readonly Column[],
  options: { allowedCheckedByReader?: readonly string[]; castFromText?: readonly string[] } = {},
): ContractRule[] {
  const rules: Omit<ContractRule, 'id'>[] = [];
  for (const column of columns) {
    const ref = quoteIdentifier(column.name);
    if (!column.nullable) {
      // A value cast from text is missing only when the text is: a value that does not cast breaks its type rule alone.
      const missing = options.castFromText?.includes(column.name) ? `${rawColumn(column.name)} IS NULL` : `${ref} IS NULL`;
      rules.push({ column: column.name, kind: 'nullable', message: `${column.name}: value is missing`, violatedWhen: missing });
    }
    if (column.allowed && !options.allowedCheckedByReader?.includes(column.name)) {
      const list = column.allowed.map((v) => valueLiteral(v, column.type)).join(', ');
      rules.push({
        column: column.name,
        kind: 'allowed',
        message: `${column.name}: not one of ${column.allowed.map((v) => JSON.stringify(v)).join(', ')}`,
        violatedWhen: `${ref} NOT IN (${list})`,
      });
    }
    if (column.min !== undefined) {
      rules.push({ column: column.name, kind: 'min', message: `${column.name}: below the minimum ${column.min}`, violatedWhen: `${ref} < ${valueLiteral(column.min, column.type)}` });
    }
    if (column.max !== undefined) {
      rules.push({ column: column.name, kind: 'max', message: `${column.name}: above the maximum ${column.max}`, violatedWhen: `${ref} > ${valueLiteral(column.max, column.type)}` });
    }
    if (column.pattern !== undefined) {
      rules.push({
        column: column.name,
        kind: 'pattern',
        message: `${column.name}: does not match /${column.pattern}/`,
        violatedWhen: `NOT regexp_full_match(${ref}, ${quoteLiteral(column.pattern)})`,
      });
    }
    if (column.maxLength !== undefined) {
      rules.push({
        column: column.name,
        kind: 'maxLength',
        message: `${column.name}: longer than ${column.maxLength} characters`,
        violatedWhen: `length(${ref}) > ${numberLiteral(column.maxLength)}`,
      });
    }
  }
  return rules.map((rule, index) => ({ ...rule, id: index + 1 }));
}

/** The column holding a JSON Lines value as text before it is cast (see `readerSql`). */
export function rawColumn(name: string): string {
  return `${quoteIdentifier(name).slice(0, -1)}__raw"`;
}


/**
 * Columns whose text the ingest casts itself instead of the reader: integers in every format (a reader's cast rounds
 * `27.5` to 28; here only whole numbers are integers), and every typed column of JSON Lines (whose reader cannot
 * reject a row).
 */
export function castByRules(column: Column, format: 'csv' | 'jsonl'): boolean {
  return column.type !== 'string' && (format === 'jsonl' || column.type === 'integer');
}

/** SQL casting a text expression to a column's type, NULL when it is not a valid value of that type. */
export function strictCastSql(text: string, type: ColumnType): string {
  if (type === 'integer') {
    // TRY_CAST alone accepts '27.5' (rounded), '1e3', '0x10', '0b11', '1_000', '1.' and tabs around the digits: only
    // spaces, an optional sign and digits are an integer. Most values are written as DuckDB writes them back
    // ('42', '-7', '0'), and such a value is strict: that round trip is three times cheaper than the pattern, which is
    // left for the rest ('+5', ' 5', '007', 'abc'). Same answers as the pattern alone (test/unit/ingest/contract-rules).
    const integer = `TRY_CAST(${text} AS BIGINT)`;
    return `CASE WHEN CAST(${integer} AS VARCHAR) = ${text} THEN ${integer} WHEN regexp_full_match(${text}, ' *[+-]?[0-9]+ *') THEN ${integer} END`;
  }
  return `TRY_CAST(${text} AS ${sqlType(type)})`;
}

/**
 * Type rules, for columns the reader reads as text (see \`castByRules\`): a value that is present as text but does not
 * cast to the declared type breaks the rule, and the message quotes it: \`tenure: "27.5" is not an integer\`.
 */
export function typeRules(columns: readonly Column[], firstId: number): ContractRule[] {
  return columns.map((column, index) => ({
    id: firstId + index,
    column: column.name,
    kind: 'type' as const,
    message: `${column.name}: not ${TYPE_DESCRIPTIONS[column.type]}`,
    messageSql: `${quoteLiteral(`${column.name}: `)} || CAST(to_json(${rawColumn(column.name)}) AS VARCHAR) || ${quoteLiteral(` is not ${TYPE_DESCRIPTIONS[column.type]}`)}`,
    violatedWhen: `${rawColumn(column.name)} IS NOT NULL AND ${quoteIdentifier(column.name)} IS NULL`,
  }));
}

/** The column a JSON Lines reader sets to false for a line that is not a JSON object. */
export const RECORD_OK_COLUMN = '"__record_ok"';

/** The rule a JSON Lines line breaks when it is not a JSON object: it is quarantined, not the whole file refused. */
export function recordRule(id: number): ContractRule {
  return { id, column: '', kind: 'record', message: 'not a JSON object (malformed JSON, or a value that is not an object)', violatedWhen: `NOT ${RECORD_OK_COLUMN}`, exclusive: true };
}

/**
 * A SQL expression naming the rules a row breaks, as comma-separated rule ids, or NULL for a good row. Ids keep the
 * staging partition folder names short whatever the number of rules.
 */
export function violationsExpression(rules: readonly ContractRule[]): string {
  if (rules.length === 0) return 'CAST(NULL AS VARCHAR)';
  // A NULL comparison means the rule does not apply (missing values are the nullable rule's business).
  const broken = rules.map((rule) => `coalesce(${rule.violatedWhen}, FALSE)`);
  const parts = rules.map((rule, i) => `CASE WHEN ${broken[i] ?? 'FALSE'} THEN '${rule.id}' END`);
  // Nearly every row is good: one OR over booleans decides that cheaply; the list of ids is built only for bad rows.
  return `CASE WHEN ${broken.join(' OR ')} THEN concat_ws(',', ${parts.join(', ')}) END`;
}

/**
 * The messages of the rules a row breaks, joined by "; ", evaluated on the row itself (so a message may quote its
 * value); an exclusive rule, when broken, is the only one reported.
 */
export function rowMessagesExpression(rules: readonly ContractRule[]): string {
  if (rules.length === 0) return 'CAST(NULL AS VARCHAR)';
  const message = (rule: ContractRule) => rule.messageSql ?? quoteLiteral(rule.message);
  const all = `concat_ws('; ', ${rules.map((rule) => `CASE WHEN coalesce(${rule.violatedWhen}, FALSE) THEN ${message(rule)} END`).join(', ')})`;
  return rules
    .filter((rule) => rule.exclusive)
    .reduceRight((rest, rule) => `CASE WHEN coalesce(${rule.violatedWhen}, FALSE) THEN ${message(rule)} ELSE ${rest} END`, all);
}

/** A SQL expression turning a rule-id list back into the rules' messages, joined by "; ". */
export function violationMessagesExpression(rules: readonly ContractRule[], idsExpression: string): string {
  if (rules.length === 0) return 'CAST(NULL AS VARCHAR)';
  const cases = rules.map((rule) => `WHEN '${rule.id}' THEN ${quoteLiteral(rule.message)}`).join(' ');
  return `array_to_string(list_transform(string_split(${idsExpression}, ','), id -> CASE id ${cases} END), '; ')`;
}
