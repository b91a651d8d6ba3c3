import { readFileSync } from 'node:fs';
import path from 'node:path';
import { featureColumnNames } from '../../../core/features/feature-sql.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

describe('featureColumnNames', () => {
  describe('the shipped churn query', () => {
    it('names the label then every feature by its alias when each column is aliased', () => {
      // Prepare
      const query = readFileSync(path.join(REPO_ROOT, 'pipelines/churn/features.sql'), 'utf8');

      // Act
      const names = featureColumnNames(query, []);

      // Assess
      expect(names.slice(0, 6)).toEqual(['label', 'female', 'senior_citizen', 'partner', 'dependents', 'tenure']);
      expect(names).toHaveLength(26);
      expect(names.at(-1)).toBe('pay_automatic');
    });
  });

  describe('the forms a SELECT list takes', () => {
    it('names each column as Athena does when aliases are explicit, implicit, qualified, quoted, missing or a star', () => {
      // Prepare
      const query = 'WITH x AS (SELECT a, b FROM t) SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END AS lab, x.b, a + b, "Weird", c d, * FROM x WHERE a > 1';

      // Act
      const names = featureColumnNames(query, ['p', 'q']);

      // Assess
      expect(names).toEqual(['lab', 'b', '_col2', 'Weird', 'd', 'p', 'q']);
    });

    it('names an unaliased call by position when it ends in a parenthesis', () => {
      // Prepare
      const query = 'SELECT label, coalesce(x, 0), CAST(y AS double) AS y FROM t';

      // Act
      const names = featureColumnNames(query, []);

      // Assess
      expect(names).toEqual(['label', '_col1', 'y']);
    });
  });
});
