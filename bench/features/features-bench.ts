import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { readFeatureQuery, featureUnloadSql } from '../../core/features/feature-sql.js';
import { loadPipelineSpec } from '../../core/spec/load-spec.js';
import { quoteLiteral } from '../../core/sql/quote.js';
import { installTrinoCompat, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { DuckDbQueryEngine } from '../../local/adapters/duckdb-query-engine.js';
import { LocalCatalog } from '../../local/adapters/local-catalog.js';
import { projectRoot } from '../../local/runtime/project-root.js';

const DAYS = 10;

/**
 * `npm run bench -- features`: the churn feature query over `rows` curated rows (10 ingest dates × 3 contracts),
 * on the local engine, both splits, against DuckDB copying the same rows out unchanged (scan and write, no feature
 * work) in the same run; then the plan of a one-day query, to show partition pruning.
 */
export async function runFeaturesBench(options: { rows: number; dataDir: string }): Promise<void> {
  const lake = path.join(options.dataDir, 'features-lake');
  const curated = path.join(lake, 'lake', 'curated', 'churn');
  const limits = { threads: availableParallelism(), memoryLimit: '2GB', tempDirectory: path.join(lake, '.spill') };
  await rm(lake, { recursive: true, force: true });
  await mkdir(curated, { recursive: true });
  const db = await openDuckDb(limits);
  process.stdout.write(`generating ${options.rows.toLocaleString('en')} curated rows…\n`);
  await db.connection.run(`COPY (
    SELECT CASE WHEN random() < 0.27 THEN 'Yes' ELSE 'No' END AS churn, (random() < 0.5)::INT::BIGINT AS female, (random() < 0.16)::INT::BIGINT AS senior_citizen,
      (random() < 0.5)::INT::BIGINT AS partner, (random() < 0.3)::INT::BIGINT AS dependents, (random() * 72)::BIGINT AS tenure, 1::BIGINT AS phone_service,
      ['Yes','No','No phone service'][1 + (i % 3)] AS multiple_lines, ['DSL','Fiber optic','No'][1 + (i % 3)] AS internet_service,
      'No' AS online_security, 'Yes' AS online_backup, 'No' AS device_protection, 'No' AS tech_support, 'Yes' AS streaming_tv, 'No' AS streaming_movies,
      ['Month-to-month','One year','Two year'][1 + (i % 3)] AS contract, (random() < 0.6)::INT::BIGINT AS paperless_billing,
      ['Electronic check','Mailed check','Bank transfer (automatic)','Credit card (automatic)'][1 + (i % 4)] AS payment_method,
      round(18 + random() * 100, 2) AS monthly_charges, CASE WHEN random() < 0.002 THEN NULL ELSE round(random() * 8000, 2) END AS total_charges,
      strftime(DATE '2026-11-01' + (i % ${DAYS})::INT, '%Y-%m-%d') AS ingest_date
    FROM range(${options.rows}) t(i)
  ) TO ${quoteLiteral(curated)} (FORMAT parquet, PARTITION_BY (ingest_date, contract), FILENAME_PATTERN 'part-bench-{i}')`);

  const catalog = new LocalCatalog(lake, limits);
  const target = { crawlerName: 'bench', database: 'sluice_local', table: 'churn', bucket: 'lake', prefix: 'curated/churn/' };
  await catalog.startCrawl(target);
  const engine = new DuckDbQueryEngine(lake, catalog, limits);
  const spec = loadPipelineSpec('churn', path.join(projectRoot(), 'pipelines'));
  const query = readFeatureQuery(spec, 'churn');

  const baselineOut = path.join(lake, 'baseline.csv.gz');
  let started = Date.now();
  await db.connection.run(`COPY (SELECT * EXCLUDE (ingest_date, contract) FROM read_parquet(${quoteLiteral(`${curated}/**/*.parquet`)}, hive_partitioning = true)) TO ${quoteLiteral(baselineOut)} (FORMAT csv, COMPRESSION gzip, HEADER false)`);
  const baselineMs = Date.now() - started;

  started = Date.now();
  for (const split of ['train', 'validation'] as const) {
    const sql = featureUnloadSql({ query, database: 'sluice_local', table: 'churn', splitKey: spec.features?.splitKey ?? ['tenure'], validationRatio: 0.2, split, target: `s3://lake/features/churn/bench/${split}/` });
    const { queryId } = await engine.startQuery({ sql, database: 'sluice_local', workgroup: 'bench', requestToken: `bench-${split}` });
    const status = await engine.queryStatus(queryId);
    if (status.state !== 'SUCCEEDED') throw new Error(`feature query failed: ${status.reason ?? ''}`);
  }
  const featuresMs = Date.now() - started;

  await installTrinoCompat(db.connection);
  await db.connection.run(`CREATE SCHEMA sluice_local; CREATE VIEW sluice_local.churn AS SELECT * FROM read_parquet(${quoteLiteral(`${curated}/**/*.parquet`)}, hive_partitioning = true, hive_types = {'ingest_date': 'VARCHAR', 'contract': 'VARCHAR'})`);
  const oneDay = `SELECT count(*) FROM (${query.replace(/FROM churn\s*$/, "FROM sluice_local.churn WHERE ingest_date = '2026-11-03'")})`;
  const plan = await db.rows(`EXPLAIN ANALYZE ${translateTrinoSql(oneDay)}`);
  db.close();
  const planText = plan.map((r) => String(r.explain_value ?? '')).join('\n');
  const scanning = planText
    .split('\n')
    .map((l) => l.replace(/[│┌┐└┘─┬┴├┤]/g, '').trim())
    .filter((l) => /^(Scanning Files|Total Files Read|\(ingest_date = )/.test(l));

  const mrows = options.rows / 1e6;
  process.stdout.write(`\nfeatures: ${options.rows.toLocaleString('en')} curated rows, ${DAYS * 3} partitions\n`);
  process.stdout.write(`  ${'DuckDB copy of the rows, no features (baseline)'.padEnd(52)}${(baselineMs / 1000).toFixed(2).padStart(7)} s  ${(mrows / (baselineMs / 1000)).toFixed(2)} M rows/s\n`);
  process.stdout.write(`  ${'Sluice feature query, train + validation UNLOAD'.padEnd(52)}${(featuresMs / 1000).toFixed(2).padStart(7)} s  ${(mrows / (featuresMs / 1000)).toFixed(2)} M rows/s\n`);
  process.stdout.write(`  ratio (baseline / Sluice): ${(baselineMs / featuresMs).toFixed(2)}\n`);
  process.stdout.write(`  partition pruning, the feature query for ingest_date = '2026-11-03' (EXPLAIN ANALYZE):\n`);
  for (const line of scanning) process.stdout.write(`    ${line}\n`);
  await rm(lake, { recursive: true, force: true });
}
