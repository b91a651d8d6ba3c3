import { createHash } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { splitBucketExpression } from '../../../core/features/feature-sql.js';
import { quoteLiteral } from '../../../core/sql/quote.js';
import { mulberry32 as seeded } from '../../../core/support/mulberry32.js';
import { installTrinoCompat, runTrinoQuery, translateTrinoSql } from '../../../core/sql/trino-compat.js';

/**
 * The split's md5 chains run locally as DuckDB natives (`trino_md5_prefix32`, `trino_md5_hex`): these tests pin that
 * they give the values Trino defines, computed here by Node's md5 (the bucket: the digest's first 4 bytes as a
 * big-endian unsigned integer, mod 1000; the hex: upper case), and the values of the macro-by-macro chain they replace.
 */

/** Characters that stress the UTF-8 path and the separator: ASCII, '|', quotes, accents, CJK, emoji, a combining mark. */
const ALPHABET = ['a', 'Z', '0', '9', ' ', '|', "'", '"', '\\', '%', 'é', 'ß', '東', '京', '😀', '🇫🇷', 'e\u0301', '\t', '\n'];

function randomKey(next: () => number): string | null {
  if (next() < 0.08) return null;
  const length = Math.floor(next() * 12);
  return Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)] ?? '').join('');
}

/** Trino's value of the bucket: `from_base(substr(to_hex(md5(to_utf8(s))), 1, 8), 16) % 1000`. */
function trinoBucket(text: string): number {
  return createHash('md5').update(text, 'utf8').digest().readUInt32BE(0) % 1000;
}

const EDGE_KEYS: readonly (readonly [string | null, string | null])[] = [
  [null, null],
  ['', ''],
  ['', null],
  ['|', ''],
  ['a|b', 'c'],
  ['a', 'b|c'],
  ["it's", '"quoted"'],
  ['東京', '😀'],
  ['e\u0301', 'é'],
  ['x'.repeat(1000), 'y'],
];

describe('trino-compat md5 chains', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    connection = await instance.connect();
    await installTrinoCompat(connection);
  });

  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  describe('the split bucket', () => {
    it('gives the bucket Trino defines and the macro chain gave when keys are random, unicode, empty, NULL or hold "|"', async () => {
      // Prepare: two key columns, edge cases then 3,000 seeded random pairs, with the bucket Node computes
      const next = seeded(16);
      const keys = [...EDGE_KEYS, ...Array.from({ length: 3000 }, () => [randomKey(next), randomKey(next)] as const)];
      const literal = (value: string | null): string => (value === null ? 'NULL' : quoteLiteral(value));
      const rows = keys.map(([a, b], i) => `(${i}, ${literal(a)}, ${literal(b)}, CAST(${trinoBucket(`${a ?? ''}|${b ?? ''}`)} AS BIGINT))`);
      await connection.run(`CREATE OR REPLACE TEMP TABLE keyed(i, a, b, expected) AS VALUES ${rows.join(',\n')}`);
      const bucket = splitBucketExpression(['a', 'b']);
      // The chain as the compatibility macros ran it before: `trino_md5` spelled out, so no rewrite applies.
      const chained = bucket.replace('md5(', 'trino_md5(');

      // Act: in a projection and in a filter (where DuckDB shares no repeated subexpression)
      const projected = await runTrinoQuery(connection, `SELECT i, expected, ${bucket} AS native, ${chained} AS chained FROM keyed ORDER BY i`);
      const filtered = await runTrinoQuery(connection, `SELECT count(*) AS n FROM keyed WHERE ${bucket} <> expected OR ${bucket} IS NULL`);

      // Assess
      expect(translateTrinoSql(bucket)).toContain('trino_md5_prefix32(');
      expect(translateTrinoSql(chained)).not.toContain('trino_md5_prefix32(');
      const mismatches = projected.getRowObjectsJson().filter((row) => row['native'] !== row['expected'] || row['chained'] !== row['expected']);
      expect(mismatches).toEqual([]);
      expect(projected.getRowObjectsJson()).toHaveLength(keys.length);
      expect(filtered.getRowObjectsJson()).toEqual([{ n: '0' }]);
    });

    it('returns a BIGINT, as Trino from_base, when the rewritten chain is evaluated', async () => {
      // Act
      const reader = await runTrinoQuery(connection, "SELECT from_base(substr(to_hex(md5(to_utf8('abc'))), 1, 8), 16) AS v");

      // Assess: md5('abc') starts 90015098
      expect(reader.getRowObjectsJson()).toEqual([{ v: String(0x90015098) }]);
      expect(reader.columnTypes().map(String)).toEqual(['BIGINT']);
    });

    it('returns NULL when the hashed text is NULL', async () => {
      // Act
      const reader = await runTrinoQuery(connection, 'SELECT from_base(substr(to_hex(md5(to_utf8(CAST(NULL AS varchar)))), 1, 8), 16) AS v');

      // Assess
      expect(reader.getRowObjectsJson()).toEqual([{ v: null }]);
    });
  });

  describe('the row-based split hash', () => {
    it('gives the upper-case hex digest Trino defines when values are random, unicode, empty or NULL', async () => {
      // Prepare
      const next = seeded(61);
      const values = [null, '', '|', ...Array.from({ length: 1000 }, () => randomKey(next))];
      const rows = values.map((value, i) => `(${i}, ${value === null ? 'NULL' : quoteLiteral(value)})`);
      await connection.run(`CREATE OR REPLACE TEMP TABLE hashed(i, s) AS VALUES ${rows.join(',\n')}`);

      // Act
      const reader = await runTrinoQuery(connection, 'SELECT i, to_hex(md5(to_utf8(s))) AS native, to_hex(trino_md5(to_utf8(s))) AS chained FROM hashed ORDER BY i');

      // Assess
      expect(translateTrinoSql('to_hex(md5(to_utf8(s)))')).toBe('trino_md5_hex(s)');
      const expected = values.map((value) => (value === null ? null : createHash('md5').update(value, 'utf8').digest('hex').toUpperCase()));
      expect(reader.getRowObjectsJson().map((row) => row['native'])).toEqual(expected);
      expect(reader.getRowObjectsJson().map((row) => row['chained'])).toEqual(expected);
    });
  });

  describe('translateTrinoSql', () => {
    it('rewrites the chain when it is spelled in mixed case with spaces and comments', () => {
      // Act
      const sql = translateTrinoSql("SELECT FROM_BASE( substr (TO_HEX(md5( /* key */ to_utf8(concat_ws('|', f(x), ')')) )), 1, 8 ), 16) % 1000 AS b FROM t");

      // Assess: the argument comes back byte for byte, its own calls still translated
      expect(sql).toBe("SELECT trino_md5_prefix32(concat_ws('|', f(x), ')')) % 1000 AS b FROM t");
    });

    it.each([
      ['another prefix length', "from_base(substr(to_hex(md5(to_utf8(s))), 1, 7), 16)", "from_base(substr(trino_md5_hex(s), 1, 7), 16)"],
      ['another radix', 'from_base(substr(to_hex(md5(to_utf8(s))), 1, 8), 10)', 'from_base(substr(trino_md5_hex(s), 1, 8), 10)'],
      ['a qualified function', 'x.to_hex(md5(to_utf8(s)))', 'x.to_hex(trino_md5(to_utf8(s)))'],
      ['no to_utf8', 'to_hex(md5(s))', 'to_hex(trino_md5(s))'],
      ['the names in a string', "'to_hex(md5(to_utf8(s)))'", "'to_hex(md5(to_utf8(s)))'"],
    ])('keeps the macro-by-macro translation when the chain has %s', (_title, input, expected) => {
      // Act / Assess
      expect(translateTrinoSql(input)).toBe(expected);
    });
  });
});
