/**
 * Raw records on the local endpoint, end to end: churn trained by a real local run (untuned), its Deploy's pointer
 * carrying the pipeline's raw-record spec, a real endpoint answering the contract's columns with the user's labels.
 * Also the no-skew proof for the endpoint: every churn customer sent raw gets the prediction the evaluation's model
 * gives the feature rows the run's feature query wrote (the same numbers, to the float).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { endpointDir, pointerFile } from '../../../local/adapters/local-hosting.js';
import { LOCAL_ENDPOINT_PREFIX } from '../../../local/runtime/local-names.js';
import { startEndpointServer } from '../../../local/serving/endpoint-server.js';
import type { EndpointEvent, EndpointServer } from '../../../local/serving/endpoint-server.js';
import { readModelPointer } from '../../../local/serving/model-pointer.js';
import { predictFile } from '../../../local/serving/predict-file.js';
import { rawRecordsOf } from '../../../local/serving/raw-spec-field.js';
import { readChannel } from '../../../local/xgboost/data.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { parseCsv } from '../../../core/serving/raw-request.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { runLocalScoring } from '../../../local/runtime/run-local-scoring.js';
import { untunedChurnSpec } from '../../fixtures/untuned-churn.js';
import { freshLake, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const CHURN_CSV = path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv');

interface Answer {
  status: number;
  text: string;
  json: () => { predictions: { label?: string; score: number; probabilities?: Record<string, number> }[] };
}

async function invoke(server: EndpointServer, body: string, contentType: string, accept?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': contentType, ...(accept === undefined ? {} : { Accept: accept }) };
  const response = await fetch(`${server.url}/invocations`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as ReturnType<Answer['json']> };
}

/** A churn CSV row as a JSON record, typed as the contract declares (integers and doubles as numbers). */
function recordOf(header: readonly string[], row: readonly string[]): Record<string, string | number | null> {
  const numeric = new Set(['female', 'senior_citizen', 'partner', 'dependents', 'tenure', 'phone_service', 'paperless_billing', 'monthly_charges', 'total_charges']);
  return Object.fromEntries(header.map((name, i) => {
    const value = row[i] ?? '';
    return [name, value === '' || value === 'NA' ? null : numeric.has(name) ? Number(value) : value];
  }));
}

describe('raw records on the local endpoint', () => {
  const spec = untunedChurnSpec();
  let lake: string;
  let server: EndpointServer;
  let header: string[];
  let rows: string[][];
  let csv: string;
  let features: { train: string; validation: string };
  let artifact: string;
  const events: EndpointEvent[] = [];

  beforeAll(async () => {
    lake = await freshLake();
    csv = await readFile(CHURN_CSV, 'utf8');
    const run = await runOnContent(spec, lake, 'telco_churn.csv', csv);
    if (run.error || !run.outputs.features) throw new Error(`training failed: ${run.error?.name ?? ''}: ${run.error?.message ?? 'no features'}`);
    features = run.outputs.features;
    const pointer = pointerFile(endpointDir(lake, `${LOCAL_ENDPOINT_PREFIX}churn`));
    artifact = path.resolve(path.dirname(pointer), readModelPointer(pointer).modelArtifact);
    server = await startEndpointServer({ port: 0, modelSource: { pointerFile: pointer }, onEvent: (event) => events.push(event) });
    [header = [], ...rows] = parseCsv(csv);
  });

  afterAll(async () => {
    await server.close();
    await testServers.closeAll();
    await rm(lake, { recursive: true, force: true });
  });

  describe('a JSON record without the label', () => {
    it('answers the class as the user\'s label value with both probabilities when one record is posted', async () => {
      // Prepare
      const record = recordOf(header, rows[0] ?? []);
      delete record['churn'];

      // Act
      const answer = await invoke(server, JSON.stringify(record), 'application/json');

      // Assess
      expect(answer.status).toBe(200);
      const [prediction] = answer.json().predictions;
      expect(typeof prediction?.score).toBe('number');
      expect(prediction?.label).toBe((prediction?.score ?? 0) >= 0.5 ? 'Yes' : 'No');
      expect(prediction?.probabilities).toEqual({ No: 1 - (prediction?.score ?? 0), Yes: prediction?.score });
    });
  });

  describe('the same customers as JSON, {"instances"} and CSV with a header', () => {
    it('answers identical predictions in record order when the three shapes are posted', async () => {
      // Prepare
      const some = rows.slice(0, 20);
      const records = some.map((row) => recordOf(header, row));
      const csvBody = [header.join(','), ...some.map((row) => row.map((v) => `"${v}"`).join(','))].join('\n');

      // Act
      const array = await invoke(server, JSON.stringify(records), 'application/json');
      const instances = await invoke(server, JSON.stringify({ instances: records }), 'application/json');
      const fromCsv = await invoke(server, csvBody, 'text/csv');

      // Assess
      expect([array.status, instances.status, fromCsv.status]).toEqual([200, 200, 200]);
      expect(array.json().predictions).toHaveLength(20);
      expect(instances.json()).toEqual(array.json());
      expect(fromCsv.json()).toEqual(array.json());
    });
  });

  describe('records that break the contract', () => {
    it.each([
      ['tenure', 999, 'record 1: column tenure: 999 is above the maximum 120 (rule max)'],
      ['contract', 'Weekly', 'record 1: column contract: "Weekly" is not one of "Month-to-month", "One year", "Two year" (rule allowed)'],
      ['tenure', 2.5, 'record 1: column tenure: 2.5 is not an integer (rule type)'],
      ['monthly_charges', null, 'record 1: column monthly_charges: value is missing (rule nullable)'],
      ['shoe_size', 44, 'record 1: column shoe_size: not a column of the churn contract'],
    ])('answers 400 naming the record, column and rule when %s is %p', async (column, value, message) => {
      // Prepare
      const records = rows.slice(0, 2).map((row) => recordOf(header, row));
      (records[1] as Record<string, unknown>)[column] = value;

      // Act
      const answer = await invoke(server, JSON.stringify(records), 'application/json');

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(message);
    });
  });

  describe('customers posted at the same time', () => {
    it('answers each of ten concurrent requests what its customer gets alone when they share queries and prediction calls', async () => {
      // Prepare
      const records = rows.slice(40, 50).map((row) => {
        const record = recordOf(header, row);
        delete record['churn'];
        return record;
      });
      const alone: unknown[] = [];
      for (const record of records) alone.push((await invoke(server, JSON.stringify(record), 'application/json')).json().predictions);

      // Act
      const together = await Promise.all(records.map((record) => invoke(server, JSON.stringify(record), 'application/json')));

      // Assess
      expect(together.map((answer) => answer.status)).toEqual(records.map(() => 200));
      expect(together.map((answer) => answer.json().predictions)).toEqual(alone);
    });
  });

  describe('featurized rows', () => {
    it('answers as the container does when featurized CSV is posted to an endpoint that takes raw records', async () => {
      // Prepare
      const validation = await readChannel([features.validation]);
      const model = loadXgboostModel(artifact);
      const expected = model.predict(validation.features.subarray(0, validation.nCols), 1, validation.nCols);
      model.free();
      const line = Array.from(validation.features.subarray(0, validation.nCols)).join(',');

      // Act
      const answer = await invoke(server, line, 'text/csv');

      // Assess
      expect(answer.status).toBe(200);
      expect(Math.fround(Number(answer.text.trim()))).toBe(expected[0]);
    });
  });

  describe('sluice predict on a raw churn CSV', () => {
    it('predicts each customer as the endpoint does when the file has the contract columns, label included', async () => {
      // Prepare
      const file = path.join(lake, 'customers.csv');
      await writeFile(file, `${csv.split('\n').slice(0, 31).join('\n')}\n`);
      const records = rows.slice(0, 30).map((row) => recordOf(header, row));
      const rawRecords = rawRecordsOf(spec);

      // Act
      const result = await predictFile({ pointerFile: pointerFile(endpointDir(lake, `${LOCAL_ENDPOINT_PREFIX}churn`)), file, ...(rawRecords === undefined ? {} : { rawRecords }) });
      const answer = await invoke(server, JSON.stringify(records), 'application/json');

      // Assess
      expect(result.nRows).toBe(30);
      expect(Array.from(result.predictions)).toEqual(answer.json().predictions.map((p) => Math.fround(p.score)));
    });
  });

  describe('no skew between the endpoint and batch scoring', () => {
    it('scores the same raw customers to the same float when batch scoring (`sluice score`) and the endpoint score them', async () => {
      // Prepare: 40 customers without the label, as `sluice score` takes them.
      const some = rows.slice(0, 40);
      const key = 'score/churn/skew.csv';
      const file = path.join(lake, LOCAL_LAKE_BUCKET, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${header.slice(1).join(',')}\n${some.map((row) => row.slice(1).map((v) => `"${v}"`).join(',')).join('\n')}\n`);
      const records = some.map((row) => recordOf(header, row)).map(({ churn: _label, ...rest }) => rest);

      // Act
      const batch = await runLocalScoring({ lake, pipeline: 'churn', key, projectRoot: REPO_ROOT, specs: fixedSpecCatalog([spec]) });
      const answer = await invoke(server, JSON.stringify(records), 'application/json');

      // Assess: batch rows are traced by source_row (1-based), endpoint answers by position.
      expect(batch.error).toBeUndefined();
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const db = await DuckDBInstance.create(':memory:');
      const connection = await db.connect();
      const scored = (await connection.runAndReadAll(`SELECT source_row, probability FROM read_parquet('${batch.outputs.predictions ?? ''}') ORDER BY source_row`)).getRowsJS();
      connection.closeSync();
      db.closeSync();
      const endpoint = answer.json().predictions.map((p) => Math.fround(p.score));
      expect(scored).toHaveLength(40);
      expect(scored.map(([row, probability]) => [Number(row), Math.fround(Number(probability))])).toEqual(endpoint.map((score, i) => [i + 1, score]));
    });
  });

  describe('no training/serving skew', () => {
    it('gives every customer the prediction the evaluation\'s model gives the run\'s feature rows when all are posted raw', async () => {
      // Prepare: the trainer's evaluation computation (in-process XGBoost prediction) over both feature sets of the run.
      const model = loadXgboostModel(artifact);
      const fromChannels: number[] = [];
      for (const channel of [features.train, features.validation]) {
        const data = await readChannel([channel]);
        fromChannels.push(...model.predict(data.features, data.nRows, data.nCols));
      }
      model.free();
      const records = rows.map((row) => recordOf(header, row));

      // Act
      const answer = await invoke(server, JSON.stringify(records), 'application/json');

      // Assess: the same multiset of float32 scores, customer for customer (the run's sets hold every customer once).
      expect(answer.status).toBe(200);
      const fromEndpoint = answer.json().predictions.map((p) => Math.fround(p.score));
      expect(fromEndpoint).toHaveLength(fromChannels.length);
      expect([...fromEndpoint].sort((a, b) => a - b)).toEqual([...fromChannels].sort((a, b) => a - b));
      // The compiled query answered (audited by DuckDB in a worker), not DuckDB alone: that is the path proven here.
      expect(events.filter((event) => event.type.startsWith('features-'))).toEqual([{ type: 'features-opened', pipeline: 'churn', engine: 'compiled', reason: undefined }]);
    });
  });

  describe('the audit, when the server closes', () => {
    it('reports that every compiled answer DuckDB audited was the same when the server closes after answering raw records', async () => {
      // Prepare: the tests above answered raw records through the compiled query.

      // Act: the afterAll close comes second and finds the server closed.
      await server.close();

      // Assess
      const audited = events.filter((event) => event.type === 'features-audited');
      expect(audited).toHaveLength(1);
      expect(audited[0]).toMatchObject({ type: 'features-audited', pipeline: 'churn', different: false });
      expect(audited[0]?.type === 'features-audited' && audited[0].audited).toBeGreaterThan(0);
      expect(events.some((event) => event.type === 'features-audit-failed')).toBe(false);
    });
  });
});
