import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { silentLogger } from '../../../core/log/logger.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { biasCountsSql, mergeBiasCounts, parseBiasCounts } from '../../../core/quality/bias.js';
import { suggestConstraints } from '../../../core/quality/constraints.js';
import { biasCountsAggregate } from '../../../core/quality/ingest-quality.js';
import type { ConstraintViolations, Statistics } from '../../../core/quality/model-monitor-formats.js';
import { suggestTableConstraints } from '../../../core/quality/training-quality.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { validateAndPartition } from '../../../core/steps/validate-and-partition.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const BUCKET = 'lake';
const FILE = 'id,status,amount,code\n1,open,10,ABC\n2,closed,5,XYZ\n3,open,1,XYZ\n';
/** Constraints whose `code` domain is ABC only: two of the file's three codes are outside it. */
const CONSTRAINTS = suggestConstraints({
  version: 0,
  dataset: { item_count: 10 },
  features: [
    { name: 'id', inferred_type: 'Integral', numerical_statistics: { common: { num_present: 10, num_missing: 0 }, mean: 5, sum: 50, std_dev: 3, min: 1, max: 10, distribution: { kll: { buckets: [{ lower_bound: 1, upper_bound: 10, count: 10 }] } } } },
    { name: 'status', inferred_type: 'String', string_statistics: { common: { num_present: 10, num_missing: 0 }, distinct_count: 2, distribution: { categorical: { buckets: [{ value: 'open', count: 5 }, { value: 'closed', count: 5 }] } } } },
    { name: 'amount', inferred_type: 'Fractional', numerical_statistics: { common: { num_present: 10, num_missing: 0 }, mean: 5, sum: 50, std_dev: 3, min: 0, max: 10, distribution: { kll: { buckets: [{ lower_bound: 0, upper_bound: 10, count: 10 }] } } } },
    { name: 'code', inferred_type: 'String', string_statistics: { common: { num_present: 10, num_missing: 0 }, distinct_count: 1, distribution: { categorical: { buckets: [{ value: 'ABC', count: 10 }] } } } },
  ],
});

async function ingestWith(effect: 'warn' | 'quarantine'): Promise<{ root: string; store: FolderObjectStore; spec: PipelineSpec; result: Awaited<ReturnType<typeof validateAndPartition>> }> {
  const spec = specFrom(`${SMALL_SPEC_YAML}quality:\n  effects: { categorical_values_check: ${effect} }\n`);
  const root = await mkdtemp(path.join(tmpdir(), 'sluice-dq-'));
  const store = new FolderObjectStore(root);
  await store.putText({ bucket: BUCKET, key: 'profiles/orders/baseline/constraints.json' }, JSON.stringify(CONSTRAINTS));
  const key = 'incoming/orders/o.csv';
  await mkdir(path.join(root, BUCKET, 'incoming/orders'), { recursive: true });
  await writeFile(path.join(root, BUCKET, key), FILE);
  const info = await store.head({ bucket: BUCKET, key });
  const run = { runId: 'run-1', pipeline: 'orders', trigger: 'manual', objects: [], bucket: BUCKET, startedAt: '2026-11-29T10:00:00Z', plan: { features: false, training: 'none', deploy: false } };
  const object = { bucket: BUCKET, key, etag: info?.etag ?? '', size: info?.size ?? 0, lastModified: '2026-11-29T10:00:00Z' };
  const result = await validateAndPartition(
    { run, object },
    { store, specs: fixedSpecCatalog([spec]), logger: silentLogger, workDir: path.join(root, 'work'), duckdb: { threads: 1, memoryLimit: '256MB' } },
  );
  return { root, store, spec, result };
}

async function files(root: string, prefix: string): Promise<string[]> {
  const entries = await readdir(path.join(root, BUCKET, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('ingest data quality', () => {
  describe('a file with values outside the constraints\' domain', () => {
    it('curates the rows, writes the profile and violations, and records the warning when the effect is warn', async () => {
      // Act
      const { root, store, result } = await ingestWith('warn');

      // Assess
      expect(result.rows).toEqual({ input: 3, valid: 3, quarantined: 0 });
      expect(result.quality).toMatchObject({ effect: 'warn', findings: [{ kind: 'categorical_values_check', features: ['code'], effect: 'warn' }] });
      const stats = JSON.parse((await store.getText({ bucket: BUCKET, key: result.quality?.statisticsKey ?? '' })) ?? '{}') as Statistics;
      expect(stats.dataset.item_count).toBe(3);
      const { violations } = JSON.parse((await store.getText({ bucket: BUCKET, key: result.quality?.violationsKey ?? '' })) ?? '{}') as ConstraintViolations;
      expect(violations).toEqual([expect.objectContaining({ feature_name: 'code', constraint_check_type: 'categorical_values_check' })]);
      expect(await files(root, `profiles/orders/sources/${result.sourceHash}/`)).toHaveLength(2);
    });

    it('suggests constraints from the curated table\'s profile when asked after the ingest (sluice baseline)', async () => {
      // Prepare
      const { store } = await ingestWith('warn');

      // Act
      const suggested = await suggestTableConstraints(store, BUCKET, 'orders');

      // Assess: the file's own domain, every column complete but the optional note
      expect(suggested?.rows).toBe(3);
      expect(suggested?.constraints.features.find((f) => f.name === 'code')).toEqual({ name: 'code', inferred_type: 'String', completeness: 1, string_constraints: { domains: ['ABC', 'XYZ'] } });
      expect(suggested?.constraints.features.find((f) => f.name === 'note')?.completeness).toBe(0);
    });

    it('sets every row aside in the quarantine file, naming the check, and curates nothing when the effect is quarantine', async () => {
      // Act
      const { root, result } = await ingestWith('quarantine');

      // Assess
      expect(result.rows).toEqual({ input: 3, valid: 0, quarantined: 3 });
      expect(result.curatedFiles).toBe(0);
      expect(result.quality?.effect).toBe('quarantine');
      expect(await files(root, 'curated/')).toEqual([]);
      expect(await files(root, `profiles/orders/sources/${result.sourceHash}/`)).toEqual([]);
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(root, 'spill') });
      try {
        const rows = await db.rows(`SELECT record, errors FROM read_parquet('${path.join(root, BUCKET, result.quarantineKey ?? '')}') ORDER BY record`);
        expect(rows).toHaveLength(3);
        expect(rows[0]).toEqual({ record: '{"id":1,"status":"open","amount":10.0,"code":"ABC","note":null}', errors: 'data quality: categorical_values_check (code)' });
      } finally {
        db.close();
      }
    });
  });

  describe('bias counts taken in the profile\'s scan', () => {
    it('are the counts the portable GROUP BY gives when computed over the same rows', async () => {
      // Prepare: NULL facets and labels are left out by both; one facet by values with a grouping column, one by range
      const table = `(SELECT * FROM (VALUES (1, 70, 'Yes', 'M'), (1, 71, 'No', 'Y'), (0, 30, 'Yes', 'M'), (0, 31, 'No', 'M'), (0, 32, 'No', 'Y'), (NULL, 50, 'Yes', 'M'), (0, 36, NULL, 'M')) AS t(senior, age, churn, contract))`;
      const label = { column: 'churn', positive: ['Yes'] };
      const facets = [{ column: 'senior', values: [1], group: 'contract' }, { column: 'age', min: 60 }];
      const root = await mkdtemp(path.join(tmpdir(), 'sluice-dq-bias-'));
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(root, 'spill') });
      try {
        for (const facet of facets) {
          const expected = mergeBiasCounts([parseBiasCounts(await db.rows(biasCountsSql(table, label, facet)))]);

          // Act
          const [row] = await db.rows(`SELECT ${biasCountsAggregate(label, facet)} AS "b" FROM ${table}`);
          const counts = mergeBiasCounts([parseBiasCounts(((row?.b ?? []) as { key: Record<string, unknown>; value: unknown }[]).map((e) => ({ ...e.key, n: e.value })))]);

          // Assess
          expect(counts).toEqual(expected);
          expect(counts.length).toBeGreaterThan(1);
        }
      } finally {
        db.close();
        await rm(root, { recursive: true, force: true });
      }
    });
  });
});
