import {
  LabelMappingError,
  fromFastTextLabel,
  labelMapping,
  labelToken,
  labelTokenSql,
  toFastTextLabel,
} from '../../../core/text/label-mapping.js';
import { DuckDBInstance } from '@duckdb/node-api';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('label-mapping', () => {
  describe('user label to fastText label', () => {
    it.each([
      ['great', '__label__great'],
      ['Twitter for iPhone', '__label__Twitter%20for%20iPhone'],
      ['100%', '__label__100%25'],
      ['tab\there', '__label__tab%09here'],
      ['line\nbreak', '__label__line%0Abreak'],
      ['non\u00a0breaking', '__label__non%C2%A0breaking'],
      ['ideographic\u3000space', '__label__ideographic%E3%80%80space'],
      ['café ☕ 好', '__label__café%20☕%20好'],
      ['__label__nested', '__label____label__nested'],
    ])('writes a whitespace-free, readable token when the label is %j', (label, expected) => {
      // Act
      const fastText = toFastTextLabel(label);

      // Assess
      expect(fastText).toBe(expected);
      expect([...fastText].filter((char) => /\s/u.test(char) || (char.codePointAt(0) ?? 0) < 0x20)).toEqual([]);
    });

    it('refuses an empty label with an error that says what to do', () => {
      // Act
      const error = thrown(() => labelToken(''));

      // Assess
      expect(error).toBeInstanceOf(LabelMappingError);
      expect((error as Error).name).toBe('LabelMappingError');
      expect((error as Error).message).toMatch(/must not be empty/);
    });
  });

  describe('fastText label back to user label', () => {
    it.each([['great'], ['Twitter for iPhone'], ['100%'], ['%20'], ['a%b c'], ['multi\r\nline'], ['emoji 👍🏽 ok'], [' leading and trailing ']])(
      'returns the original label when the label is %j',
      (label) => {
        // Act / Assess
        expect(fromFastTextLabel(toFastTextLabel(label))).toBe(label);
      },
    );

    it('keeps labels apart that differ only by an escape-looking text when they would collide without escaping %', () => {
      // Prepare: without encoding % first, "a b" and "a%20b" would both become a%20b.
      const labels = ['a b', 'a%20b', 'a_b', 'a__b'];

      // Act
      const tokens = labels.map(toFastTextLabel);

      // Assess
      expect(new Set(tokens).size).toBe(labels.length);
      expect(tokens.map(fromFastTextLabel)).toEqual(labels);
    });

    it.each([['great'], ['__label__'], ['__label__bad%2'], ['__label__bad%zz'], ['__label__%FF']])(
      'throws LabelMappingError when the word is %j',
      (word) => {
        // Act
        const error = thrown(() => fromFastTextLabel(word));

        // Assess
        expect(error).toBeInstanceOf(LabelMappingError);
      },
    );
  });

  describe('the mapping recorded with a model', () => {
    it('lists each label once, sorted, with its fastText label when labels repeat and arrive unsorted', () => {
      // Act
      const mapping = labelMapping(['other', 'great', 'other', 'Twitter for iPhone']);

      // Assess
      expect(mapping).toEqual([
        { label: 'Twitter for iPhone', fastText: '__label__Twitter%20for%20iPhone' },
        { label: 'great', fastText: '__label__great' },
        { label: 'other', fastText: '__label__other' },
      ]);
    });
  });

  describe('the SQL twin', () => {
    it('writes the same fastText label as the TypeScript function when DuckDB evaluates it', async () => {
      // Prepare
      const labels = ['great', 'Twitter for iPhone', '100%', 'tab\there', 'non\u00a0breaking', 'café ☕ 好', 'a%20b', 'x\u0001y\u007fz\u0085'];
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        const values = labels.map((label) => `(${labels.indexOf(label)}, '${label.replaceAll("'", "''")}')`).join(', ');

        // Act
        const reader = await connection.runAndReadAll(`SELECT ${labelTokenSql('label')} AS fast_text FROM (VALUES ${values}) AS t(i, label) ORDER BY i`);

        // Assess
        expect(reader.getRowObjectsJson().map((row) => row['fast_text'])).toEqual(labels.map(toFastTextLabel));
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    });
  });
});
