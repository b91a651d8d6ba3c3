import { findCallSites, tokenizeSql } from '../../../core/sql/trino-compat-lexer.js';

describe('trino-compat-lexer', () => {
  describe('tokenizeSql', () => {
    it('gives the input back byte for byte when the SQL mixes literals, identifiers and comments', () => {
      // Prepare
      const sql = `SELECT "a""b", 'it''s', \`x\`, 1.5e3 -- note\n/* block */ FROM t WHERE s = 'unterminated`;

      // Act
      const tokens = tokenizeSql(sql);

      // Assess
      expect(tokens.map((token) => token.text).join('')).toBe(sql);
      expect(tokens.filter((token) => token.kind === 'string').map((token) => token.text)).toEqual([
        "'it''s'",
        "'unterminated",
      ]);
      expect(tokens.filter((token) => token.kind === 'quoted').map((token) => token.text)).toEqual(['"a""b"', '`x`']);
      expect(tokens.filter((token) => token.kind === 'comment').map((token) => token.text)).toEqual([
        '-- note',
        '/* block */',
      ]);
    });
  });

  describe('findCallSites', () => {
    it('finds bare calls only when names are followed by a parenthesis, across comments', () => {
      // Prepare
      const tokens = tokenizeSql('SELECT Foo (x), t.bar(y), baz, qux /* c */ (z), "quoted"(w) FROM t');

      // Act
      const sites = findCallSites(tokens);

      // Assess
      expect(sites.map((site) => site.name)).toEqual(['foo', 'qux']);
    });
  });
});
