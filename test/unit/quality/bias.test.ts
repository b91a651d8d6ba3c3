import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { BiasMetrics } from '../../../core/quality/bias.js';
import { biasCountsSql, biasMetrics, facetBias, mergeBiasCounts, parseBiasCounts } from '../../../core/quality/bias.js';
import type { FacetSpec } from '../../../core/quality/quality-spec.js';

/*
 * The table: 10 customers, facet d = senior = 1 (4 rows), facet a = senior = 0 (6 rows); label churn, positive "Yes";
 * grouping column contract (M, Y).
 *
 *   d: (Yes, M) (Yes, M) (No, Y) (Yes, Y)                    nd = 4, nd(Yes) = 3, nd(No) = 1
 *   a: (Yes, M) (No, M) (No, M) (No, Y) (No, Y) (Yes, Y)     na = 6, na(Yes) = 2, na(No) = 4
 *
 * By hand, from Clarify's formulas:
 *   CI  = (na − nd) / (na + nd) = (6 − 4) / 10 = 0.2
 *   DPL = qa − qd = 2/6 − 3/4 = −0.416667
 *   Pa = {No 2/3, Yes 1/3}, Pd = {No 1/4, Yes 3/4}
 *   KL  = 2/3 ln((2/3)/(1/4)) + 1/3 ln((1/3)/(3/4)) = 0.653886 − 0.270310 = 0.383576
 *   P   = {No 0.458333, Yes 0.541667}
 *   JS  = ½ [ (2/3 ln(0.666667/0.458333) + 1/3 ln(0.333333/0.541667)) + (1/4 ln(0.25/0.458333) + 3/4 ln(0.75/0.541667)) ]
 *       = ½ [ (0.249795 − 0.161836) + (−0.151534 + 0.244067) ] = ½ (0.087959 + 0.092533) = 0.090246
 *   LP  = √((2/3 − 1/4)² + (1/3 − 3/4)²) = √(2 × 0.173611) = 0.589256
 *   TVD = ½ (0.416667 + 0.416667) = 0.416667
 *   KS  = max(0.416667, 0.416667) = 0.416667
 *   CDDL, groups M (5 rows) and Y (5 rows):
 *     M: rejected (No) 2, of which d 0 → 0; accepted (Yes) 3, of which d 2 → 2/3; DD_M = 0 − 2/3 = −0.666667
 *     Y: rejected 3, of which d 1 → 1/3; accepted 2, of which d 1 → 1/2;             DD_Y = 1/3 − 1/2 = −0.166667
 *     CDDL = (5 × −0.666667 + 5 × −0.166667) / 10 = −0.416667
 */
const HAND: BiasMetrics = { CI: 0.2, DPL: -0.416667, KL: 0.383576, JS: 0.090246, LP: 0.589256, TVD: 0.416667, KS: 0.416667, CDDL: -0.416667 };

const TABLE = `(SELECT * FROM (VALUES
  (1, 70, 'Yes', 'M'), (1, 71, 'Yes', 'M'), (1, 72, 'No', 'Y'), (1, 73, 'Yes', 'Y'),
  (0, 30, 'Yes', 'M'), (0, 31, 'No', 'M'), (0, 32, 'No', 'M'), (0, 33, 'No', 'Y'), (0, 34, 'No', 'Y'), (0, 35, 'Yes', 'Y'),
  (NULL, 50, 'Yes', 'M'), (0, 36, NULL, 'M')
) AS t(senior, age, churn, contract))`;
const LABEL = { column: 'churn', positive: ['Yes'] };

function expectMetrics(actual: BiasMetrics, expected: BiasMetrics): void {
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name as keyof BiasMetrics];
    if (value === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(value, 5);
  }
}

describe('bias metrics', () => {
  let dir: string;
  let db: DuckDbSession;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-bias-'));
    db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(dir, 'spill') });
  });

  afterAll(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('a facet given by its values, with a grouping column', () => {
    it('computes CI, DPL, KL, JS, LP, TVD, KS and CDDL as computed by hand when the counts come from the SQL', async () => {
      // Prepare
      const facet: FacetSpec = { column: 'senior', values: [1], group: 'contract' };

      // Act
      const counts = parseBiasCounts(await db.rows(biasCountsSql(TABLE, LABEL, facet)));
      const metrics = biasMetrics(counts, true);

      // Assess: the rows with a NULL facet or label are left out (10 of 12 counted)
      expect(counts.reduce((s, c) => s + c.n, 0)).toBe(10);
      expectMetrics(metrics, HAND);
    });
  });

  describe('a facet given by a range', () => {
    it('selects the same group and gives the same metrics when the range covers exactly the facet rows', async () => {
      // Prepare: ages 70-73 are the seniors
      const facet: FacetSpec = { column: 'age', min: 65, max: 120 };

      // Act
      const bias = facetBias(facet, parseBiasCounts(await db.rows(biasCountsSql(`(SELECT * FROM ${TABLE} WHERE senior IS NOT NULL)`, LABEL, facet))));

      // Assess: no grouping column, no CDDL
      expect(bias.group).toBe('age between 65 and 120');
      expectMetrics(bias.metrics, { ...HAND, CDDL: null });
    });
  });

  describe('counts of two files', () => {
    it('gives the metrics of their union when their counts are added', async () => {
      // Prepare: the table split in two
      const facet: FacetSpec = { column: 'senior', values: [1], group: 'contract' };
      const first = parseBiasCounts(await db.rows(biasCountsSql(`(SELECT * FROM ${TABLE} WHERE age < 33)`, LABEL, facet)));
      const second = parseBiasCounts(await db.rows(biasCountsSql(`(SELECT * FROM ${TABLE} WHERE age >= 33)`, LABEL, facet)));

      // Act
      const metrics = biasMetrics(mergeBiasCounts([first, second]), true);

      // Assess
      expectMetrics(metrics, HAND);
    });
  });

  describe('facets with no label value in common', () => {
    it('leaves the distribution metrics null when every label value is missing from one facet', () => {
      // Prepare: d all Yes, a all No
      const counts = [
        { facet: true, label: 'Yes', positive: true, group: '', n: 2 },
        { facet: false, label: 'No', positive: false, group: '', n: 3 },
      ];

      // Act
      const metrics = biasMetrics(counts, false);

      // Assess: CI = (3 − 2) / 5 = 0.2; DPL = 0/3 − 2/2 = −1
      expectMetrics(metrics, { CI: 0.2, DPL: -1, KL: null, JS: null, LP: null, TVD: null, KS: null, CDDL: null });
    });
  });
});
