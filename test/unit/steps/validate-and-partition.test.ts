import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { silentLogger } from '../../../core/log/logger.js';
import { ingestListingSchema } from '../../../core/manifest/ingest-listing.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { ObjectRef } from '../../../core/ports/object-store.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import type { ValidateAndPartitionDeps } from '../../../core/steps/validate-and-partition.js';
import { recordRun } from '../../../core/steps/record-run.js';
import { validateAndPartition } from '../../../core/steps/validate-and-partition.js';
import type { IngestResult } from '../../../core/run/workflow-state.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const BUCKET = 'lake';
const orders = specFrom(SMALL_SPEC_YAML);
const ordersJsonl = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: jsonl'));
const CLEAN = 'id,status,amount,code\n1,open,10,ABC\n2,closed,5,XYZ\n3,open,1,ABC\n';

interface Lake {
  root: string;
  store: FolderObjectStore;
  deps: ValidateAndPartitionDeps;
}

async function freshLake(spec: PipelineSpec = orders, store?: (root: string) => FolderObjectStore): Promise<Lake> {
  const root = await mkdtemp(path.join(tmpdir(), 'sluice-vp-'));
  const folder = store ? store(root) : new FolderObjectStore(root);
  return {
    root,
    store: folder,
    deps: {
      store: folder,
      specs: fixedSpecCatalog([spec]),
      logger: silentLogger,
      workDir: path.join(root, 'work'),
      duckdb: { threads: 1, memoryLimit: '256MB' },
    },
  };
}

/** Drops `content` under `key` and runs the step on it as run `runId`. */
async function ingest(lake: Lake, key: string, content: string, runId: string, spec: PipelineSpec = orders): Promise<IngestResult> {
  const file = path.join(lake.root, BUCKET, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const info = await lake.store.head({ bucket: BUCKET, key });
  const run = { runId, pipeline: spec.name, trigger: 'manual', objects: [], bucket: BUCKET, startedAt: '2026-11-29T10:00:00Z', plan: { features: false, training: 'none', deploy: false } };
  // As NormalizeInput describes it: the store's ETag, size and date (locally the ETag changes with every write).
  const object = { bucket: BUCKET, key, etag: info?.etag ?? '', size: info?.size ?? 0, lastModified: info?.lastModified ?? '2026-11-29T10:00:00Z' };
  return validateAndPartition({ run, object }, lake.deps);
}

async function keys(lake: Lake, prefix: string): Promise<string[]> {
  const dir = path.join(lake.root, BUCKET, prefix);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(path.join(lake.root, BUCKET), path.join(e.parentPath, e.name))).sort();
}

/** The curated keys a file's result points to: its listing in the lake (the state carries only counts). */
async function listedKeys(lake: Lake, result: IngestResult): Promise<string[]> {
  const text = await lake.store.getText({ bucket: BUCKET, key: result.listingKey });
  return ingestListingSchema.parse(JSON.parse(text ?? 'null')).curatedKeys;
}

async function parquet(lake: Lake, prefix: string, select = '*'): Promise<Record<string, unknown>[]> {
  const files = (await keys(lake, prefix)).filter((k) => k.endsWith('.parquet'));
  if (files.length === 0) return [];
  const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake.root, 'spill') });
  try {
    const list = files.map((f) => `'${path.join(lake.root, BUCKET, f)}'`).join(', ');
    return await db.rows(`SELECT ${select} FROM read_parquet([${list}], hive_partitioning = false)`);
  } finally {
    db.close();
  }
}

describe('validateAndPartition', () => {
  describe('re-runs (source identity is the content)', () => {
    it('replaces its rows instead of adding them when the same bytes are dropped again under the same name', async () => {
      // Prepare
      const lake = await freshLake();
      const first = await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-1');

      // Act
      const again = await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-2');

      // Assess
      expect(again.sourceHash).toBe(first.sourceHash);
      expect(again.sameContentAs).toBeUndefined();
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3);
      expect(await keys(lake, 'curated/orders')).toEqual(await listedKeys(lake, again));
    });

    it('treats the same file dropped into another folder as a re-run when its name is the same', async () => {
      // Prepare
      const lake = await freshLake();
      await ingest(lake, 'incoming/orders/run-1/o.csv', CLEAN, 'run-1');

      // Act
      const again = await ingest(lake, 'incoming/orders/run-2/o.csv', CLEAN, 'run-2');

      // Assess
      expect(again.sameContentAs).toBeUndefined();
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3);
    });

    it('reports the earlier object and does not double the rows when the same bytes arrive under another name', async () => {
      // Prepare
      const lake = await freshLake();
      await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-1');

      // Act
      const renamed = await ingest(lake, 'incoming/orders/copy-of-o.csv', CLEAN, 'run-2');

      // Assess
      expect(renamed.sameContentAs).toEqual({ runId: 'run-1', key: 'incoming/orders/o.csv' });
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3);
      const record = JSON.parse(await readFile(path.join(lake.root, BUCKET, `ingest/orders/sources/${renamed.sourceHash}.json`), 'utf8')) as { keys: string[] };
      expect(record.keys).toEqual(['incoming/orders/o.csv', 'incoming/orders/copy-of-o.csv']);
    });

    it('replaces its rows when the archived original under raw/ is run again', async () => {
      // Prepare
      const lake = await freshLake();
      const first = await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-1');

      // Act
      const again = await ingest(lake, first.rawKey, CLEAN, 'run-2');

      // Assess
      expect(again.rawKey).toBe(first.rawKey);
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3);
      expect(await keys(lake, 'raw/orders')).toEqual([first.rawKey]);
    });

    it('adds rows when the content differs under the same name', async () => {
      // Prepare
      const lake = await freshLake();
      await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-1');

      // Act
      await ingest(lake, 'incoming/orders/o.csv', `${CLEAN}4,open,2,ABC\n`, 'run-2');

      // Assess
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3 + 4);
    });
  });

  describe('a run killed while writing', () => {
    it('leaves nothing in curated when writing the curated files fails midway', async () => {
      // Prepare: the second curated file cannot be written, as if the process died there
      let curatedPuts = 0;
      const lake = await freshLake(orders, (root) => {
        const store = new FolderObjectStore(root);
        const putFile = store.putFile.bind(store);
        store.putFile = async (file: string, ref: ObjectRef) => {
          if (/(^|\/)curated\//.test(ref.key) && ++curatedPuts === 2) throw new Error('killed');
          return putFile(file, ref);
        };
        return store;
      });

      // Act
      const failed = ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-1');

      // Assess
      await expect(failed).rejects.toThrow('killed');
      expect(await keys(lake, 'curated')).toEqual([]);
      expect(await keys(lake, 'ingest/orders/staging')).toEqual([]);
      expect(await keys(lake, 'incoming/orders')).toEqual(['incoming/orders/o.csv']);
    });

    it('rolls back the staging folder and the orphan raw archive a killed run left when the same file is run again', async () => {
      // Prepare: what a run killed before its commit leaves behind
      const lake = await freshLake();
      const hash = (await ingest(lake, 'incoming/orders/probe.csv', CLEAN, 'probe')).sourceHash;
      await lake.store.deletePrefix(BUCKET, 'curated/');
      await lake.store.deletePrefix(BUCKET, 'ingest/');
      await lake.store.deletePrefix(BUCKET, 'raw/');
      const staging = `ingest/orders/staging/killed-${hash}/`;
      const orphanRaw = 'raw/orders/ingest_date=2026-11-29/killed/o.csv';
      await lake.store.putText({ bucket: BUCKET, key: `ingest/orders/staging/killed-${hash}.pending.json` }, JSON.stringify({ runId: 'killed', sourceHash: hash, stagingPrefix: staging, rawKey: orphanRaw, startedAt: new Date().toISOString() }));
      await lake.store.putText({ bucket: BUCKET, key: `${staging}curated/orders/ingest_date=2026-11-29/status=open/part-${hash}-0.parquet` }, 'half');
      await lake.store.putText({ bucket: BUCKET, key: orphanRaw }, CLEAN);
      await writeFile(path.join(lake.root, BUCKET, `${orphanRaw}.999999999.abc.tmp`), 'partial');

      // Act
      const result = await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-2');

      // Assess
      expect(await keys(lake, 'ingest/orders/staging')).toEqual([]);
      expect(await keys(lake, 'raw/orders')).toEqual([result.rawKey]);
      expect(await parquet(lake, 'curated/orders')).toHaveLength(3);
    });

    it('completes the commit a killed run had decided when the next file of the pipeline is ingested', async () => {
      // Prepare: a commit record whose first move was done and whose second was not
      const lake = await freshLake();
      const staging = 'ingest/orders/staging/killed-aaaa/';
      await lake.store.putText({ bucket: BUCKET, key: 'curated/orders/ingest_date=2026-11-29/status=open/part-aaaa-0.parquet' }, 'moved');
      await lake.store.putText({ bucket: BUCKET, key: `${staging}curated/orders/ingest_date=2026-11-29/status=closed/part-aaaa-0.parquet` }, 'staged');
      await lake.store.putText({ bucket: BUCKET, key: 'curated/orders/ingest_date=2026-11-01/status=open/part-aaaa-0.parquet' }, 'old');
      const moves = ['status=open', 'status=closed'].map((p) => ({ from: `${staging}curated/orders/ingest_date=2026-11-29/${p}/part-aaaa-0.parquet`, to: `curated/orders/ingest_date=2026-11-29/${p}/part-aaaa-0.parquet` }));
      const pending = { runId: 'killed', sourceHash: 'aaaa', stagingPrefix: staging, startedAt: new Date().toISOString() };
      const source = { sourceHash: 'aaaa', ingestDate: '2026-11-29', runId: 'killed', key: 'incoming/orders/a.csv', rawKey: 'raw/orders/ingest_date=2026-11-29/killed/a.csv', curatedKeys: moves.map((m) => m.to), keys: ['incoming/orders/a.csv'], committedAt: new Date().toISOString() };
      await lake.store.putText({ bucket: BUCKET, key: 'ingest/orders/staging/killed-aaaa.pending.json' }, JSON.stringify(pending));
      await lake.store.putText({ bucket: BUCKET, key: 'ingest/orders/staging/killed-aaaa.commit.json' }, JSON.stringify({ pending, moves, deletes: ['curated/orders/ingest_date=2026-11-01/status=open/part-aaaa-0.parquet'], source }));

      // Act
      const other = await ingest(lake, 'incoming/orders/o.csv', CLEAN, 'run-2');

      // Assess
      const curated = await keys(lake, 'curated/orders');
      expect(curated.filter((k) => k.includes('part-aaaa-'))).toEqual(moves.map((m) => m.to).sort());
      expect(curated.filter((k) => !k.includes('part-aaaa-'))).toEqual(await listedKeys(lake, other));
      expect(await keys(lake, 'ingest/orders/staging')).toEqual([]);
      expect(await keys(lake, 'ingest/orders/sources')).toContain('ingest/orders/sources/aaaa.json');
    });
  });

  describe('a file with many partitions', () => {
    /** Step Functions' cap on a state's input or output: 262,144 bytes of UTF-8 (developer guide, "Quotas"). */
    const STATE_LIMIT_BYTES = 262_144;
    const PARTITIONS = 2_000;
    const byCode = specFrom(SMALL_SPEC_YAML.replace('columns: [status]', 'columns: [code]'));
    /** 2,000 distinct three-letter codes: AAA, AAB, … */
    const code = (i: number): string => [676, 26, 1].map((d) => String.fromCharCode(65 + (Math.floor(i / d) % 26))).join('');
    const content = `id,status,amount,code\n${Array.from({ length: PARTITIONS }, (_, i) => `${i + 1},open,1,${code(i)}`).join('\n')}\n`;

    it('returns counts and a listing key, far under the state limit, and lists every key in the manifest when it writes 2,000 partitions', async () => {
      // Prepare
      const lake = await freshLake(byCode);
      // A writer buffer per open partition: 2,000 of them need more than the other tests' 256 MB (as in the Lambda, 1 GB+).
      lake.deps.duckdb = { threads: 1, memoryLimit: '1GB' };
      const runId = 'run-wide';

      // Act
      const result = await ingest(lake, 'incoming/orders/wide.csv', content, runId, byCode);
      // The IngestFiles map run's results, as its ResultWriter writes them (core/manifest/ingest-results.ts).
      const resultFile = 'ingest/_map-runs/run-wide/SUCCEEDED_0.json';
      await lake.store.putText({ bucket: BUCKET, key: resultFile }, JSON.stringify([{ Status: 'SUCCEEDED', Input: JSON.stringify({ index: 0 }), Output: JSON.stringify(result) }]));
      await lake.store.putText({ bucket: BUCKET, key: 'ingest/_map-runs/run-wide/manifest.json' }, JSON.stringify({ ResultFiles: { SUCCEEDED: [{ Key: resultFile }], FAILED: [], PENDING: [] } }));
      const recorded = await recordRun(
        {
          run: { runId, pipeline: 'orders', trigger: 'manual', objects: [result.source], bucket: BUCKET, startedAt: '2026-11-29T10:00:00Z', plan: { features: false, training: 'none', deploy: false } },
          ingest: { mapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:sluice-dev/IngestFiles:run-wide', results: { bucket: BUCKET, key: 'ingest/_map-runs/run-wide/manifest.json' } },
        },
        { store: lake.store, logger: silentLogger, lakeBucket: BUCKET, clock: () => new Date('2026-11-29T10:05:00Z') },
      );

      // Assess: a file's result is a few hundred bytes whatever its partitions, so a run of a hundred such files fits
      const curated = (await keys(lake, 'curated/orders')).filter((k) => k.endsWith('.parquet'));
      expect(curated).toHaveLength(PARTITIONS);
      expect(Buffer.byteLength(JSON.stringify(result), 'utf8')).toBeLessThan(STATE_LIMIT_BYTES / 100);
      expect(Buffer.byteLength(JSON.stringify({ files: [result] }), 'utf8')).toBeLessThan(STATE_LIMIT_BYTES / 100);
      expect(result).toMatchObject({ curatedPrefix: 'curated/orders/', curatedFiles: PARTITIONS, partitions: PARTITIONS });
      expect(Buffer.byteLength(JSON.stringify(recorded), 'utf8')).toBeLessThan(STATE_LIMIT_BYTES / 50);
      expect(await listedKeys(lake, result)).toEqual(curated);
      const manifest = JSON.parse(await readFile(path.join(lake.root, BUCKET, recorded.manifestKey), 'utf8')) as { ingest: { curatedKeys?: string[] }[] };
      expect(manifest.ingest).toHaveLength(1);
      expect(manifest.ingest[0]?.curatedKeys).toEqual(curated);
    }, 60_000); // a hang guard: 2,000 Parquet files take a few seconds on a shared machine
  });

  describe('integer columns', () => {
    it.each([
      ['CSV', orders, 'id,status,amount,code\n27.5,open,1,ABC\n2,open,1,ABC\n1e3,open,1,ABC\n'],
      ['JSON Lines', ordersJsonl, '{"id": 27.5, "status": "open", "amount": 1, "code": "ABC"}\n{"id": 2, "status": "open", "amount": 1, "code": "ABC"}\n{"id": "1e3", "status": "open", "amount": 1, "code": "ABC"}\n'],
    ])('quarantines a value that is not a whole number instead of rounding it when the file is %s', async (_format, spec, content) => {
      // Prepare
      const lake = await freshLake(spec);

      // Act
      const result = await ingest(lake, `incoming/orders/o.${spec.source.format}`, content, 'run-1', spec);

      // Assess
      expect(result.rows).toEqual({ input: 3, valid: 1, quarantined: 2 });
      expect((await parquet(lake, 'curated/orders', 'id')).map((r) => r.id)).toEqual(['2']);
      expect((await parquet(lake, 'quarantine/orders', 'errors')).map((r) => r.errors).sort()).toEqual(['id: "1e3" is not an integer', 'id: "27.5" is not an integer']);
    });
  });

  describe('malformed JSON Lines', () => {
    it('quarantines a malformed line and curates the others when one line is not JSON', async () => {
      // Prepare
      const lake = await freshLake(ordersJsonl);
      const content = '{"id": 1, "status": "open", "amount": 1, "code": "ABC"}\n{"id": 2, "status": \n[1, 2]\n{"id": 3, "status": "closed", "amount": 1, "code": "ABC"}\n';

      // Act
      const result = await ingest(lake, 'incoming/orders/o.jsonl', content, 'run-1', ordersJsonl);

      // Assess
      expect(result.rows).toEqual({ input: 4, valid: 2, quarantined: 2 });
      const quarantined = await parquet(lake, 'quarantine/orders', 'record, errors');
      expect(quarantined.map((r) => [r.record, r.errors]).sort()).toEqual([
        ['[1, 2]', 'not a JSON object (malformed JSON, or a value that is not an object)'],
        ['{"id": 2, "status": ', 'not a JSON object (malformed JSON, or a value that is not an object)'],
      ]);
    });
  });

  describe('quarantine reasons', () => {
    it('speaks the contract language instead of DuckDB error messages when the reader rejects lines', async () => {
      // Prepare
      const lake = await freshLake();
      const content = 'id,status,amount,code\n1,open,10,ABC\n2,lost,5,ABC\n3,open,ten,ABC\n4,open\n';

      // Act
      await ingest(lake, 'incoming/orders/o.csv', content, 'run-1');

      // Assess
      const quarantined = await parquet(lake, 'quarantine/orders', 'source_line, errors');
      expect(quarantined.map((r) => [r.source_line, r.errors])).toEqual([
        ['3', 'status: "lost" is not one of "open", "closed"'],
        ['4', 'amount: "ten" is not a number'],
        ['5', 'the line has 2 values where the header has 4 columns'],
      ]);
    });
  });

  describe('headers', () => {
    it('matches an uppercase header to the contract when the spec asks for case-insensitive names', async () => {
      // Prepare
      const spec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: csv\n  matchNames: case-insensitive'));
      const lake = await freshLake(spec);

      // Act
      const result = await ingest(lake, 'incoming/orders/o.csv', CLEAN.replace('id,status,amount,code', 'ID,Status,AMOUNT,code'), 'run-1', spec);

      // Assess
      expect(result.rows).toEqual({ input: 3, valid: 3, quarantined: 0 });
      expect((await parquet(lake, 'curated/orders', 'id')).map((r) => r.id).sort()).toEqual(['1', '2', '3']);
    });

    it('reads a column under the name the spec maps it from when the file names it differently', async () => {
      // Prepare
      const spec = specFrom(SMALL_SPEC_YAML.replace('{ name: amount, type: double', '{ name: amount, sourceName: V3, type: double'));
      const lake = await freshLake(spec);

      // Act
      const result = await ingest(lake, 'incoming/orders/o.csv', CLEAN.replace('amount', 'V3'), 'run-1', spec);

      // Assess
      expect(result.rows.valid).toBe(3);
      expect((await parquet(lake, 'curated/orders', 'amount')).map((r) => r.amount).sort()).toEqual([1, 10, 5]);
    });

    it('reads the columns by position when the CSV has no header', async () => {
      // Prepare
      const spec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: csv\n  csv: { header: false }'));
      const lake = await freshLake(spec);

      // Act
      const result = await ingest(lake, 'incoming/orders/o.csv', '1,open,10,ABC,n1\n2,closed,5,XYZ,\n', 'run-1', spec);

      // Assess
      expect(result.rows).toEqual({ input: 2, valid: 2, quarantined: 0 });
      expect((await parquet(lake, 'curated/orders', 'id, note')).map((r) => [r.id, r.note]).sort()).toEqual([['1', 'n1'], ['2', null]]);
    });
  });
});
