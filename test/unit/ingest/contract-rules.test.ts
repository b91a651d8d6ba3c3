import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { contractRules, strictCastSql, violationMessagesExpression, violationsExpression } from '../../../core/ingest/contract-rules.js';
import { InvalidSqlIdentifierError, quoteIdentifier, quoteLiteral } from '../../../core/sql/quote.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

describe('contractRules', () => {
  const spec = specFrom(SMALL_SPEC_YAML);
  const rules = contractRules(spec.contract.columns);
  let db: DuckDbSession;

  beforeAll(async () => {
    db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: '/tmp/sluice-test-spill' });
  });
  afterAll(() => db.close());

  const violations = async (row: string) =>
    (await db.rows(`SELECT ${violationMessagesExpression(rules, violationsExpression(rules))} AS m FROM (SELECT ${row})`))[0]?.m;

  describe('rule list', () => {
    it('numbers one rule per declared check when built from the contract', () => {
      // Assess
      expect(rules.map((r) => `${r.id}:${r.column}:${r.kind}`)).toEqual([
        '1:id:nullable',
        '2:id:min',
        '3:status:nullable',
        '4:status:allowed',
        '5:amount:min',
        '6:code:pattern',
        '7:code:maxLength',
      ]);
    });
  });

  describe('evaluated by DuckDB', () => {
    it('finds no violation when the row keeps every rule', async () => {
      // Act
      const result = await violations(`1::BIGINT AS id, 'open' AS status, 2.5::DOUBLE AS amount, 'ABC' AS code`);

      // Assess
      expect(result).toBeNull();
    });

    it('names every broken rule when a row breaks several', async () => {
      // Act
      const result = await violations(`0::BIGINT AS id, 'lost' AS status, -1::DOUBLE AS amount, 'abcd' AS code`);

      // Assess
      expect(result).toBe(
        'id: below the minimum 1; status: not one of "open", "closed"; amount: below the minimum 0; code: does not match /[A-Z]{3}/; code: longer than 3 characters',
      );
    });

    it('reports only the nullable rule when a required value is missing', async () => {
      // Act
      const result = await violations(`NULL::BIGINT AS id, 'open' AS status, NULL::DOUBLE AS amount, NULL::VARCHAR AS code`);

      // Assess
      expect(result).toBe('id: value is missing');
    });

    it('matches the whole value against the pattern when a longer value contains a match', async () => {
      // Act
      const result = await violations(`5::BIGINT AS id, 'open' AS status, 1::DOUBLE AS amount, 'xABCx' AS code`);

      // Assess
      expect(result).toContain('code: does not match /[A-Z]{3}/');
    });
  });

  describe('strict integer cast', () => {
    // What DuckDB's own cast accepts beyond a strict reading, and the forms a strict reading accepts.
    const texts = ['42', '-7', '0', '+5', ' 5', '5 ', '  -12  ', '007', '-0', '+0', '27.5', '1.0', '1.', '.5', '1e3', '1E3', '0x10', '0b11', '1_000', '\t1', '1\t', '\n1', '\r1', ' + 1', '+-1', '--1', '+', '-', '', ' ', 'abc', '1,000', '1 000', '9223372036854775807', '9223372036854775808', '-9223372036854775808', 'inf', 'NaN', '１'];
    // Random strings over the characters DuckDB's integer parser looks at, so a form nobody listed is tried too.
    const alphabet = ['0', '1', '9', '+', '-', ' ', '.', 'e', 'x', 'b', '_', '\t'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const fuzz = Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));

    it('gives the answers of the strict pattern (spaces, a sign, digits) when DuckDB would round, parse hex or skip underscores', async () => {
      // Prepare
      const values = [...texts, ...fuzz].map((t) => `(${quoteLiteral(t)})`).join(', ');
      const reference = `CASE WHEN regexp_full_match(trim(t), '[+-]?[0-9]+') THEN TRY_CAST(trim(t) AS BIGINT) END`;

      // Act
      const rows = await db.rows(`SELECT t, ${strictCastSql('t', 'integer')} AS fast, ${reference} AS strict FROM (VALUES ${values}) v(t)`);

      // Assess
      const differing = rows.filter((r) => r.fast !== r.strict);
      expect(differing).toEqual([]);
      expect(rows.filter((r) => r.strict !== null).length).toBeGreaterThan(100);
      expect(rows.find((r) => r.t === '27.5')?.fast).toBeNull();
      expect(rows.find((r) => r.t === '+5')?.fast).toBe('5');
    });
  });
});

describe('SQL quoting', () => {
  it('quotes a plain identifier when the name is valid', () => {
    expect(quoteIdentifier('total_charges')).toBe('"total_charges"');
  });

  it.each(['Total', 'a b', 'x"; DROP TABLE t; --', '1abc', ''])('refuses %j as an identifier', (name) => {
    expect(() => quoteIdentifier(name)).toThrow(InvalidSqlIdentifierError);
  });

  it('doubles single quotes when quoting a literal', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});
