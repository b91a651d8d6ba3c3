import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { contractRules, violationMessagesExpression, violationsExpression } from '../../../core/ingest/contract-rules.js';
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
