import { IDENTIFIER_PATTERN } from '../spec/schema.js';

/** A name that cannot be used in SQL: it came from a spec or a file header and is not a plain identifier. */
export class InvalidSqlIdentifierError extends Error {
  public override readonly name = 'InvalidSqlIdentifierError';
}

/**
 * Quotes an identifier for DuckDB or Athena. Names are validated first: a spec or header name that is not a plain
 * lowercase identifier is refused rather than escaped, so nothing surprising reaches a catalog or a query.
 */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name)) {
    throw new InvalidSqlIdentifierError(
      `"${name}" is not a valid column or table name: use lowercase letters, digits and underscores, starting with a letter or underscore`,
    );
  }
  return `"${name}"`;
}

/** Quotes any text (a header name, a file path, an allowed value) as a SQL string literal. */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new InvalidSqlIdentifierError('a SQL literal cannot contain a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Renders a number as a SQL literal, refusing NaN and infinities. */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new InvalidSqlIdentifierError(`${value} is not a finite number`);
  return String(value);
}
