import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';

const FEATURES_SQL = readFileSync(join(__dirname, '..', '..', '..', 'pipelines', 'reviews', 'features.sql'), 'utf8');

async function normalise(reviews: readonly string[]): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await installTrinoCompat(connection);
    const values = reviews.map((review, i) => `(${i}, 'great', '${review.replaceAll("'", "''")}')`).join(', ');
    await connection.run(`CREATE TABLE reviews AS SELECT * FROM (VALUES ${values}) AS t(i, score, review)`);
    const reader = await connection.runAndReadAll(`SELECT text FROM (${translateTrinoSql(FEATURES_SQL)}) AS f`);
    return reader.getRowObjectsJson().map((row) => String(row['text']));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('pipelines/reviews/features.sql', () => {
  describe('normalisation on the local engine', () => {
    it.each([
      ['I LOVE it.<br /><br />Great!', 'i love it . great !'],
      ["I've tried   every one", "i ' ve tried every one"],
      ['tab\there\nnew line', 'tab here new line'],
      ['non\u00a0breaking\u3000space', 'non breaking space'],
      ['Café crème, 100%!', 'café crème , 100 % !'],
      ['a &amp; b &quot;c&quot;', 'a b c'],
      ['<a href="x">link</a>', 'link'],
      ['', ''],
    ])('turns %j into %j', async (review, expected) => {
      // Act
      const [text] = await normalise([review]);

      // Assess
      expect(text).toBe(expected);
    });
  });
});
