/**
 * A small SQL lexer for the Trino compatibility pre-pass: just enough to tell function names apart from string
 * literals, quoted identifiers and comments, and to give the original text back unchanged.
 */

/** What a token is, as far as the pre-pass cares. */
export type SqlTokenKind = 'word' | 'string' | 'quoted' | 'comment' | 'space' | 'number' | 'symbol';

/** One token; concatenating every token's `text` gives the input back byte for byte. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly text: string;
}

const WORD = /[\p{L}_][\p{L}\p{N}_$]*/uy;
const NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/y;
const SPACE = /\s+/y;

/** Splits `sql` into tokens. Unterminated literals and comments run to the end of the text (DuckDB reports them). */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let at = 0;
  const take = (kind: SqlTokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(at, end) });
    at = end;
  };
  while (at < sql.length) {
    const char = sql[at];
    const next = sql[at + 1];
    if (char === "'" || char === '"' || char === '`') {
      take(char === "'" ? 'string' : 'quoted', endOfQuoted(sql, at, char));
    } else if (char === '-' && next === '-') {
      const newline = sql.indexOf('\n', at);
      take('comment', newline === -1 ? sql.length : newline);
    } else if (char === '/' && next === '*') {
      const close = sql.indexOf('*/', at + 2);
      take('comment', close === -1 ? sql.length : close + 2);
    } else {
      const matched = matchAt(SPACE, sql, at) ?? matchAt(WORD, sql, at) ?? matchAt(NUMBER, sql, at);
      if (matched === undefined) take('symbol', at + 1);
      else take(matched.kind, at + matched.length);
    }
  }
  return tokens;
}

/** True for tokens that carry meaning (not whitespace, not comments). */
export function isSignificant(token: SqlToken): boolean {
  return token.kind !== 'space' && token.kind !== 'comment';
}

/** A function call site: a bare name (not `schema.name`) followed by `(`. */
export interface SqlCallSite {
  /** Index of the name token in the token list. */
  readonly index: number;
  /** The name in lower case (SQL function names are case-insensitive). */
  readonly name: string;
}

/** Every `name(` call site in the tokens, skipping qualified names such as `t.name(` or `catalog.schema.name(`. */
export function findCallSites(tokens: readonly SqlToken[]): SqlCallSite[] {
  const sites: SqlCallSite[] = [];
  let previous: SqlToken | undefined;
  tokens.forEach((token, index) => {
    if (!isSignificant(token)) return;
    if (token.kind === 'word' && previous?.text !== '.' && nextSignificant(tokens, index)?.token.text === '(') {
      sites.push({ index, name: token.text.toLowerCase() });
    }
    previous = token;
  });
  return sites;
}

/** The next token after `index` that is not whitespace or a comment, with its index. */
export function nextSignificant(
  tokens: readonly SqlToken[],
  index: number,
): { readonly token: SqlToken; readonly index: number } | undefined {
  for (let i = index + 1; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token !== undefined && isSignificant(token)) return { token, index: i };
  }
  return undefined;
}

function endOfQuoted(sql: string, start: number, quote: string): number {
  let at = start + 1;
  while (at < sql.length) {
    if (sql[at] === quote) {
      // A doubled quote is an escaped quote inside the literal, not its end.
      if (sql[at + 1] === quote) at += 2;
      else return at + 1;
    } else {
      at += 1;
    }
  }
  return sql.length;
}

function matchAt(
  pattern: RegExp,
  sql: string,
  at: number,
): { readonly kind: SqlTokenKind; readonly length: number } | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(sql);
  if (match === null) return undefined;
  const kind: SqlTokenKind = pattern === SPACE ? 'space' : pattern === WORD ? 'word' : 'number';
  return { kind, length: match[0].length };
}
