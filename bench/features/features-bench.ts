import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { channelFormat } from '../../core/features/channel-format.js';
import { featureUnloadSql, readFeatureQuery, splitSettings } from '../../core/features/feature-sql.js';
import type { QueryStatus } from '../../core/ports/query-engine.js';
import { loadPipelineSpec } from '../../core/spec/load-spec.js';
import { quoteLiteral } from '../../core/sql/quote.js';
import { installTrinoCompat, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { DuckDbQueryEngine } from '../../local/adapters/duckdb-query-engine.js';
import { LocalCatalog } from '../../local/adapters/local-catalog.js';
import { projectRoot } from '../../local/runtime/project-root.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';

const DAYS = 10;

/** What each side of the features bench reports besides its wall time. */
interface FeaturesDetail {
  readonly bytes: number;
}

/**
 * `npm run bench -- features [--rows N] [--repeats N]`: the churn feature query over `rows` curated rows (10 ingest
 * dates × 3 contracts) on the local engine, one query writing both splits as Snappy Parquet, against DuckDB copying
 * the same rows out unchanged to one Snappy Parquet file (scan and write, no feature work), with the same limits and
 * threads, run in turn (`bench/support/paired-runs.ts`); then the plan of a one-day query, to show partition pruning.
 * Target: the ratio of medians at most 1.1.
 *
 * The baseline is the copy a user would write, `COPY (SELECT * FROM t) TO 'x.parquet'` with DuckDB's defaults, which
 * keep the rows in their order ("The following clauses guarantee that the original row order is preserved: COPY …",
 * https://duckdb.org/docs/stable/sql/dialect/order_preservation) through DuckDB's ordered parallel writer. Sluice's sessions turn that setting off
 * (core/duckdb/open-duckdb.ts), which makes a copy cheaper but its row order change from run to run: that copy is
 * printed too, paired in its own round, as the floor of what an unordered write costs, not as the target, since the
 * feature sets must keep one row order (the model subsamples rows by position).
 *
 * Both sides run in this process, so each also reports its CPU time (user + system, `process.cpuUsage`): on a shared
 * machine wall time mostly measures the neighbours; CPU time says how much work each side did.
 */
export async function runFeaturesBench(options: { rows: number; dataDir: string; repeats: number }): Promise<void> {
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
  db.close();

  const catalog = new LocalCatalog(lake, limits);
  await catalog.startCrawl({ crawlerName: 'bench', database: 'sluice_local', table: 'churn', bucket: 'lake', prefix: 'curated/churn/' });
  const engine = new DuckDbQueryEngine(lake, catalog, limits);
  const spec = loadPipelineSpec('churn', path.join(projectRoot(), 'pipelines'));
  const query = readFeatureQuery(spec, 'churn');
  const format = channelFormat('xgboost');
  const cpu = { baseline: [] as number[], unordered: [] as number[], sluice: [] as number[] };
  const digests = new Set<string>();
  let files: string[] = [];
  let run = 0;

  /** The same rows, every column, copied to one Snappy Parquet file by a DuckDB with the same limits and threads. */
  const plainCopy = async (keepOrder: boolean) => {
    const out = path.join(lake, keepOrder ? 'baseline' : 'baseline-unordered');
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    const copy = await openDuckDb(limits);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    try {
      // openDuckDb turns insertion order off; the baseline puts DuckDB's default back.
      if (keepOrder) await copy.connection.run('SET preserve_insertion_order = true');
      await copy.connection.run(
        `COPY (SELECT * FROM read_parquet(${quoteLiteral(`${curated}/**/*.parquet`)}, hive_partitioning = true)) TO ${quoteLiteral(path.join(out, 'part-00000.parquet'))} (FORMAT parquet, COMPRESSION snappy)`,
      );
    } finally {
      copy.close();
    }
    const value = (performance.now() - started) / 1000;
    (keepOrder ? cpu.baseline : cpu.unordered).push(cpuSeconds(cpuStarted));
    return { value, detail: { bytes: await folderBytes(out) } };
  };

  const sluice = async () => {
    run++;
    const target = `s3://lake/features/churn/bench-${run}/`;
    const sql = featureUnloadSql({ query, database: 'sluice_local', table: 'churn', ...splitSettings(spec), validationRatio: 0.2, target, output: format.unload });
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const { queryId } = await engine.startQuery({ sql, database: 'sluice_local', workgroup: 'bench', requestToken: `bench-features-${run}-${Date.now()}` });
    const status = await settled(engine, queryId);
    const seconds = (performance.now() - started) / 1000;
    cpu.sluice.push(cpuSeconds(cpuStarted));
    if (status.state !== 'SUCCEEDED') throw new Error(`feature query failed: ${status.reason ?? status.state}`);
    const out = path.join(lake, 'lake', 'features', 'churn', `bench-${run}`);
    const bytes = await folderBytes(out);
    files = await relativeFiles(out);
    digests.add(await folderDigest(out, files));
    await rm(out, { recursive: true, force: true });
    return { value: seconds, detail: { bytes } };
  };

  const onSample = (baselineName: string) => (side: 'baseline' | 'sluice', i: number, value: number) =>
    process.stdout.write(`  run ${i + 1} ${side === 'baseline' ? baselineName : side}: ${value.toFixed(2)} s\n`);
  const result = await runPaired<FeaturesDetail, FeaturesDetail>({ repeats: options.repeats, baseline: () => plainCopy(true), sluice, onSample: onSample('baseline') });
  const unordered = await runPaired<FeaturesDetail, FeaturesDetail>({
    repeats: options.repeats,
    baseline: () => plainCopy(false),
    sluice,
    onSample: onSample('unordered copy'),
  });

  const oneDayPlan = await partitionPruning(curated, query, limits);
  process.stdout.write(`\nfeatures: ${options.rows.toLocaleString('en')} curated rows, ${DAYS * 3} partitions, ${limits.threads} DuckDB threads each\n`);
  process.stdout.write(`${formatSummaryHeader()}\n`);
  process.stdout.write(`${formatSummaryLine('DuckDB COPY of the rows, defaults (baseline)', result.baseline, 's wall')}\n`);
  process.stdout.write(`${formatSummaryLine('Sluice feature query, one scan, both splits', result.sluice, 's wall')}\n`);
  process.stdout.write(`  ratio of medians (Sluice / baseline): ${result.ratioOfMedians.toFixed(2)}  (target ≤ 1.10)\n`);
  process.stdout.write(`${formatSummaryLine('DuckDB COPY, insertion order off (unordered)', unordered.baseline, 's wall')}\n`);
  process.stdout.write(`${formatSummaryLine('Sluice feature query (paired with the unordered)', unordered.sluice, 's wall')}\n`);
  process.stdout.write(`  ratio of medians (Sluice / unordered copy): ${unordered.ratioOfMedians.toFixed(2)}  (its row order changes run to run; the feature sets' does not)\n`);
  process.stdout.write(`${formatSummaryLine('CPU time: DuckDB COPY, defaults', summarize(cpu.baseline), 's cpu')}\n`);
  process.stdout.write(`${formatSummaryLine('CPU time: DuckDB COPY, insertion order off', summarize(cpu.unordered), 's cpu')}\n`);
  process.stdout.write(`${formatSummaryLine('CPU time: Sluice feature query', summarize(cpu.sluice), 's cpu')}\n`);
  process.stdout.write(`  ratio of CPU medians (Sluice / baseline): ${(summarize(cpu.sluice).median / summarize(cpu.baseline).median).toFixed(2)}\n`);
  process.stdout.write(`  output: baseline ${mb(result.baselineDetail?.bytes)} MB, feature sets ${mb(result.sluiceDetail?.bytes)} MB in ${files.join(', ')}\n`);
  process.stdout.write(`  feature sets of the ${run} Sluice runs: ${digests.size === 1 ? 'byte-identical' : `${digests.size} different contents`}\n`);
  process.stdout.write(`  partition pruning, the feature query for ingest_date = '2026-11-03' (EXPLAIN ANALYZE):\n`);
  for (const line of oneDayPlan) process.stdout.write(`    ${line}\n`);
  await rm(lake, { recursive: true, force: true });
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** The folder's files, relative and in name order. */
async function relativeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** One digest of the files' names and bytes: equal digests, byte-identical feature sets. */
async function folderDigest(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(await readFile(path.join(dir, file)));
  return hash.digest('hex');
}

/** Waits for the query to settle: the engine runs it off the event loop, its job board says when it is done. */
async function settled(engine: DuckDbQueryEngine, queryId: string): Promise<QueryStatus> {
  for (;;) {
    const status = await engine.queryStatus(queryId);
    if (status.state !== 'RUNNING' && status.state !== 'QUEUED') return status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : (bytes / 1e6).toFixed(1);
}

async function partitionPruning(curated: string, query: string, limits: Parameters<typeof openDuckDb>[0]): Promise<string[]> {
  const db = await openDuckDb(limits);
  try {
    await installTrinoCompat(db.connection);
    await db.connection.run(`CREATE SCHEMA sluice_local; CREATE VIEW sluice_local.churn AS SELECT * FROM read_parquet(${quoteLiteral(`${curated}/**/*.parquet`)}, hive_partitioning = true, hive_types = {'ingest_date': 'VARCHAR', 'contract': 'VARCHAR'})`);
    const oneDay = `SELECT count(*) FROM (${query.replace(/FROM churn\s*$/, "FROM sluice_local.churn WHERE ingest_date = '2026-11-03'")})`;
    const plan = await db.rows(`EXPLAIN ANALYZE ${translateTrinoSql(oneDay)}`);
    return plan
      .map((r) => String(r.explain_value ?? ''))
      .join('\n')
      .split('\n')
      .map((l) => l.replace(/[│┌┐└┘─┬┴├┤]/g, '').trim())
      .filter((l) => /^(Scanning Files|Total Files Read|\(ingest_date = )/.test(l));
  } finally {
    db.close();
  }
}
