import { DuckDBInstance } from '@duckdb/node-api';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { channelFile, channelLine, channelLineSql, channelSelectSql, orderChannelLines } from '../../../core/text/channel-line.js';
import { LabelMappingError } from '../../../core/text/label-mapping.js';

describe('channel-line', () => {
  describe('channelLine', () => {
    it('writes the fastText label then the text when both are plain', () => {
      // Act / Assess
      expect(channelLine('great', 'love it .')).toBe('__label__great love it .');
    });

    it('maps a label with spaces to one word when the label is a user string', () => {
      // Act / Assess
      expect(channelLine('Twitter for iPhone', 'hello')).toBe('__label__Twitter%20for%20iPhone hello');
    });

    it('turns line and field breaks into spaces when the text holds them', () => {
      // Act / Assess
      expect(channelLine('a', 'one\ntwo\r\nthree\tfour\u000bfive\ffive\u0000six')).toBe('__label__a one two  three four five five six');
    });

    it('neutralises words that would read as labels when the text holds __label__ words', () => {
      // Act / Assess
      expect(channelLine('a', '__label__b x __label__c y__label__d')).toBe('__label__a _label__b x _label__c y__label__d');
    });

    it('writes the label alone when the text is empty', () => {
      // Act / Assess
      expect(channelLine('a', '')).toBe('__label__a');
    });

    it('refuses an empty label when a row has none', () => {
      // Act / Assess
      expect(() => channelLine('', 'text')).toThrow(LabelMappingError);
    });

    it('ends every record with a newline when a file is written', () => {
      // Act / Assess
      expect(channelFile([{ label: 'a', text: 'x' }, { label: 'b', text: '' }])).toBe('__label__a x\n__label__b\n');
    });
  });

  describe('the SQL twin on the local engine', () => {
    it('produces the TypeScript lines byte for byte, in the hash order, when DuckDB runs the wrapped feature query', async () => {
      // Prepare
      const rows: [string | null, string | null][] = [
        ['great', 'love it .'],
        ['Twitter for iPhone', 'line\nbreak\tand tab'],
        ['100%', '__label__fake word'],
        ['other', ''],
        ['other', null],
        ['', 'dropped: empty label'],
        [null, 'dropped: no label'],
        ['café', 'ünïcödé ☕ text'],
      ];
      const literal = (v: string | null): string => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
      const featureQuery = `SELECT label, text FROM (VALUES ${rows.map(([l, t]) => `(${literal(l)}, ${literal(t)})`).join(', ')}) AS t(label, text)`;
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        await installTrinoCompat(connection);

        // Act
        const reader = await connection.runAndReadAll(translateTrinoSql(channelSelectSql(featureQuery)));
        const lines = reader.getRowObjectsJson().map((row) => String(row['line']));

        // Assess
        const expected = orderChannelLines(rows.filter(([l]) => l !== null && l !== '').map(([l, t]) => channelLine(l ?? '', t ?? '')));
        expect(lines).toEqual(expected);
        expect(lines).toHaveLength(6);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    });

    it('uses no regular expression when the expression is built, so Java and RE2 cannot differ', () => {
      // Act / Assess
      expect(channelLineSql('label', 'text')).not.toMatch(/regexp/i);
    });
  });
});
