/** The local endpoint over real HTTP on 127.0.0.1 with real XGBoost models: the container contract, end to end. */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpointServer } from '../../../local/serving/endpoint-server.js';
import type { EndpointEvent, EndpointServer } from '../../../local/serving/endpoint-server.js';
import { writeModelPointer } from '../../../local/serving/model-pointer.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { featureRows, toMatrix, trainTinyModel } from './tiny-models.js';

const FEATURES = 5;

/** Predictions of `loadXgboostModel(...).predict` for CSV feature lines: the reference the endpoint must match. */
function reference(artifact: string, lines: readonly string[]): Float32Array {
  const model = loadXgboostModel(artifact);
  try {
    const { values, nRows, nCols } = toMatrix(lines);
    return model.predict(values, nRows, nCols);
  } finally {
    model.free();
  }
}

async function invoke(
  server: EndpointServer,
  body: string | Buffer,
  headers: Record<string, string> = { 'Content-Type': 'text/csv' },
): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(`${server.url}/invocations`, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

/**
 * Resolves once `probe` gives a value, probing between turns of the event loop. No deadline of its own: how long a
 * loaded machine takes is not what these tests check, and jest's test timeout bounds a condition that never comes.
 */
async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('startEndpointServer', () => {
  let dir: string;
  let binary: string;
  let multiclass: string;
  const rows = featureRows(50, FEATURES, 11);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-serving-'));
    binary = await trainTinyModel(dir, 'binary', { task: 'binary', features: FEATURES, seed: 1 });
    multiclass = await trainTinyModel(dir, 'multiclass', { task: 'multiclass', features: FEATURES, seed: 2 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a server on a pointer to a binary model', () => {
    let server: EndpointServer;
    const events: EndpointEvent[] = [];

    beforeAll(async () => {
      const pointerFile = join(dir, 'binary-endpoint', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 4, modelArtifact: binary });
      server = await startEndpointServer({
        host: '127.0.0.1',
        port: 0,
        modelSource: { pointerFile },
        maxPayloadBytes: 64 * 1024,
        onEvent: (event) => events.push(event),
      });
    });

    afterAll(async () => {
      await server.close();
    });

    it('answers 200 naming the model version when pinged', async () => {
      // Prepare: the server is up on the version-4 pointer

      // Act
      const response = await fetch(`${server.url}/ping`);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'Healthy',
        modelVersion: 4,
        modelArtifact: binary,
        numFeatures: FEATURES,
        objective: 'binary:logistic',
      });
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('returns one prediction per line equal to loadXgboostModel().predict when sent CSV rows', async () => {
      // Prepare
      const expected = reference(binary, rows);

      // Act
      const response = await invoke(server, `${rows.join('\n')}\n`);

      // Assess
      expect(response.status).toBe(200);
      expect(response.contentType).toBe('text/csv; charset=utf-8');
      expect(response.text.endsWith('\n')).toBe(true);
      const lines = response.text.trimEnd().split('\n');
      expect(lines).toHaveLength(rows.length);
      expect(lines.map(Number)).toEqual(Array.from(expected));
    });

    it('returns {"predictions": [{"score": ...}]} equal to the reference when sent JSON and asked for JSON', async () => {
      // Prepare
      const expected = reference(binary, rows);
      const body = JSON.stringify({ instances: rows.map((line) => ({ features: line.split(',').map(Number) })) });

      // Act
      const response = await invoke(server, body, { 'Content-Type': 'application/json', Accept: 'application/json' });

      // Assess
      expect(response.status).toBe(200);
      expect(response.contentType).toBe('application/json');
      expect(response.text.startsWith('{"predictions": [{"score": ')).toBe(true);
      const parsed = JSON.parse(response.text) as { predictions: Array<{ score: number }> };
      expect(parsed.predictions.map((prediction) => prediction.score)).toEqual(Array.from(expected));
    });

    it('answers CSV rows in JSON when Accept asks for JSON', async () => {
      // Prepare
      const expected = reference(binary, rows.slice(0, 2));

      // Act
      const response = await invoke(server, rows.slice(0, 2).join('\n'), {
        'Content-Type': 'text/csv',
        Accept: 'application/json',
      });

      // Assess
      expect(JSON.parse(response.text)).toEqual({ predictions: Array.from(expected, (score) => ({ score })) });
    });

    it('answers each request in the formats its own headers name when consecutive requests change them', async () => {
      // Prepare: the server remembers the last headers it read; every change (and every refusal) must still count
      const line = rows[0] ?? '';
      const json = JSON.stringify({ instances: [{ features: line.split(',').map(Number) }] });
      const [score = Number.NaN] = reference(binary, [line]);
      const sequence: Array<[string, Record<string, string>]> = [
        [line, { 'Content-Type': 'text/csv', Accept: 'application/json' }],
        [line, { 'Content-Type': 'text/csv' }],
        [json, { 'Content-Type': 'application/json', Accept: 'text/csv' }],
        [line, { 'Content-Type': 'text/libsvm' }],
        [line, { 'Content-Type': 'text/libsvm' }],
        [line, { 'Content-Type': 'text/csv', Accept: 'application/xml' }],
        [line, { 'Content-Type': 'text/csv', Accept: 'application/xml' }],
        [line, { 'Content-Type': 'text/csv', Accept: 'application/json' }],
      ];

      // Act
      const answers: Array<{ status: number; text: string; contentType: string | null }> = [];
      for (const [body, headers] of sequence) answers.push(await invoke(server, body, headers));

      // Assess
      const json200 = { status: 200, contentType: 'application/json' };
      const csv200 = { status: 200, contentType: 'text/csv; charset=utf-8' };
      expect(answers.map(({ status, contentType }) => ({ status, contentType }))).toEqual([
        json200,
        csv200,
        csv200,
        { status: 415, contentType: 'text/plain; charset=utf-8' },
        { status: 415, contentType: 'text/plain; charset=utf-8' },
        { status: 406, contentType: 'text/plain; charset=utf-8' },
        { status: 406, contentType: 'text/plain; charset=utf-8' },
        json200,
      ]);
      expect(Number(answers[1]?.text)).toBeCloseTo(score, 6);
      expect(answers[0]?.text).toBe(answers[7]?.text);
    });

    it('answers a body that arrives in several chunks as it answers the same body sent whole', async () => {
      // Prepare
      const body = `${rows.join('\n')}\n`;
      const whole = await invoke(server, body);
      const half = body.indexOf('\n', body.length >> 1) + 1;

      // Act: the second part is sent only once the server holds the request, so it arrives as a chunk of its own
      const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = http.request(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, agent: false }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => (text += part));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        });
        request.on('error', reject);
        request.write(body.slice(0, half));
        waitFor(() => (server.activeRequests === 1 ? true : undefined)).then(() => request.end(body.slice(half)), reject);
      });

      // Assess
      expect(chunked.status).toBe(200);
      expect(chunked.text).toBe(whole.text);
      expect(chunked.text.trimEnd().split('\n')).toHaveLength(rows.length);
    });

    it('reports each answered request once as an event when the answer is sent', async () => {
      // Prepare: earlier answers have all closed (a lease is released just before its answer is counted)
      await waitFor(() => (server.activeRequests === 0 ? true : undefined));
      const before = events.length;

      // Act
      const response = await invoke(server, rows[0] ?? '');
      const answered = await waitFor(() => {
        const found = events.slice(before).filter((event) => event.type === 'request-answered');
        return found.length > 0 ? found : undefined;
      });

      // Assess
      expect(response.status).toBe(200);
      expect(answered).toEqual([{ type: 'request-answered', statusCode: 200 }]);
    });

    it('reports GET /execution-parameters like the container with one transform when asked', async () => {
      // Prepare: the server allows 64 KiB payloads

      // Act
      const response = await fetch(`${server.url}/execution-parameters`);

      // Assess
      expect(await response.json()).toEqual({ MaxConcurrentTransforms: 1, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 0 });
    });

    describe('bad requests', () => {
      const good = (): Promise<{ status: number; text: string }> => invoke(server, rows[0] ?? '');

      it.each([
        ['an unparsable CSV', 'a,b,c,d,e', { 'Content-Type': 'text/csv' }, 415, /line 1, column 1 is not a number/],
        ['ragged CSV rows', '1,2,3,4,5\n1,2', { 'Content-Type': 'text/csv' }, 415, /line 2 has 2 value/],
        ['rows with the label still in', '1,0.1,0.2,0.3,0.4,0.5', { 'Content-Type': 'text/csv' }, 400, /each row has 6 feature\(s\), the model was trained on 5 \(is the label column/],
        ['rows with too few features', '0.1,0.2', { 'Content-Type': 'text/csv' }, 400, /each row has 2 feature/],
        ['an unsupported content type', '1 0:1', { 'Content-Type': 'text/libsvm' }, 415, /not by the local endpoint/],
        ['malformed JSON', '{"instances": [', { 'Content-Type': 'application/json' }, 415, /Loading json data failed/],
        ['an unsupported Accept', '1,2,3,4,5', { 'Content-Type': 'text/csv', Accept: 'application/xml' }, 406, /Accept type application\/xml/],
        ['an 85-byte JSON naming a sparse shape of 600,000,000', '{"instances":[{"data":{"features":{"keys":[0],"values":[1],"shape":[600000000]}}}]}', { 'Content-Type': 'application/json' }, 413, /"shape": \[600000000\]: the rows of one request may hold at most 3145728 feature values/],
      ])('answers %s with a plain-text 4xx and keeps serving', async (_case, body, headers, status, message) => {
        // Prepare: headers and body given by the table

        // Act
        const response = await invoke(server, body, headers);
        const after = await good();

        // Assess
        expect(response.status).toBe(status);
        expect(response.contentType).toBe('text/plain; charset=utf-8');
        expect(response.text).toMatch(message);
        expect(after.status).toBe(200);
      });

      it('answers 204 with no content when the body is empty, as the container does', async () => {
        // Prepare: an empty body

        // Act
        const response = await invoke(server, '');

        // Assess
        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        expect((await good()).status).toBe(200);
      });

      it('answers 413 and keeps serving when the body is larger than the maximum payload', async () => {
        // Prepare
        const line = rows[0] ?? '';
        const body = `${Array.from({ length: Math.ceil((65 * 1024) / line.length) }, () => line).join('\n')}\n`;

        // Act
        const response = await invoke(server, body);

        // Assess
        expect(response.status).toBe(413);
        expect(response.text).toMatch(/larger than the maximum payload of 65536 bytes/);
        expect((await good()).status).toBe(200);
      });

      it('answers 413 when a chunked body without Content-Length grows past the maximum', async () => {
        // Prepare
        const chunk = Buffer.from(`${rows[0] ?? ''}\n`.repeat(200));

        // Act
        const status = await new Promise<number>((resolve, reject) => {
          const request = http.request(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' } }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          });
          request.on('error', reject);
          for (let i = 0; i < 30 && !request.destroyed; i++) request.write(chunk);
          request.end();
        });

        // Assess
        expect(status).toBe(413);
        expect((await good()).status).toBe(200);
      });

      it('keeps serving when a client disconnects in the middle of its body', async () => {
        // Prepare
        const partial = http.request(`${server.url}/invocations`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/csv', 'Content-Length': 10_000 },
          agent: false,
        });
        partial.on('error', () => undefined);
        partial.write(`${rows[0] ?? ''}\n`);
        await waitFor(() => (server.activeRequests === 1 ? true : undefined));

        // Act
        partial.destroy();
        await waitFor(() => (server.activeRequests === 0 ? true : undefined));
        const after = await good();

        // Assess: the abandoned request let go of its model (else a later swap could never free it)
        expect(after.status).toBe(200);
        expect(server.activeRequests).toBe(0);
        expect(server.loadedModels).toBe(1);
      });

      it('answers 404 for an unknown path and 405 for a wrong method', async () => {
        // Prepare: no route /predict; /invocations takes POST only

        // Act
        const unknown = await fetch(`${server.url}/predict`, { method: 'POST', body: '1' });
        const wrongMethod = await fetch(`${server.url}/invocations`);

        // Assess
        expect(unknown.status).toBe(404);
        expect(wrongMethod.status).toBe(405);
        expect(wrongMethod.headers.get('allow')).toBe('POST');
        expect((await good()).status).toBe(200);
      });

      it('reports each rejected request as an event when one is refused', async () => {
        // Prepare
        const before = events.length;

        // Act
        await invoke(server, 'x');

        // Assess
        expect(events.slice(before)).toEqual([
          expect.objectContaining({ type: 'request-rejected', statusCode: 415 }),
        ]);
      });
    });
  });

  describe('a multi:softprob model', () => {
    it('returns the class probabilities of each row comma-separated on its own line when sent CSV', async () => {
      // Prepare
      const server = await startEndpointServer({ port: 0, modelSource: { modelArtifact: multiclass } });
      const expected = reference(multiclass, rows.slice(0, 3));

      // Act
      const response = await invoke(server, rows.slice(0, 3).join('\n'));
      const json = await invoke(server, rows.slice(0, 3).join('\n'), { 'Content-Type': 'text/csv', Accept: 'application/json' });
      await server.close();

      // Assess
      const lines = response.text.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.map((line) => line.split(',').map(Number))).toEqual([
        Array.from(expected.subarray(0, 3)),
        Array.from(expected.subarray(3, 6)),
        Array.from(expected.subarray(6, 9)),
      ]);
      expect((JSON.parse(json.text) as { predictions: Array<{ score: number[] }> }).predictions[1]?.score).toEqual(
        Array.from(expected.subarray(3, 6)),
      );
    });
  });

  describe('a server without a model yet', () => {
    it('answers 503 until the pointer appears in a folder created later, then 200', async () => {
      // Prepare: the pointer's folder does not exist, so fs.watch cannot start and the poll must find it
      const pointerFile = join(dir, 'later', 'deep', 'pointer.json');
      const server = await startEndpointServer({ port: 0, modelSource: { pointerFile }, pollIntervalMs: 50 });

      // Act
      const pingBefore = await fetch(`${server.url}/ping`);
      const invokeBefore = await invoke(server, rows[0] ?? '');
      await writeModelPointer(pointerFile, { version: 1, modelArtifact: binary });
      const version = await waitFor(async () => {
        const ping = await fetch(`${server.url}/ping`);
        return ping.status === 200 ? ((await ping.json()) as { modelVersion: number }).modelVersion : undefined;
      });
      const invokeAfter = await invoke(server, rows[0] ?? '');
      await server.close();

      // Assess
      expect(pingBefore.status).toBe(503);
      expect(await pingBefore.json()).toEqual({ status: 'Unhealthy', message: expect.stringContaining('does not exist') });
      expect(invokeBefore.status).toBe(503);
      expect(version).toBe(1);
      expect(invokeAfter.status).toBe(200);
    });

    it('keeps serving the current model and reports the failure when the pointer names a file that is not a model', async () => {
      // Prepare
      const pointerFile = join(dir, 'bad-swap', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 1, modelArtifact: binary });
      const events: EndpointEvent[] = [];
      const server = await startEndpointServer({ port: 0, modelSource: { pointerFile }, onEvent: (event) => events.push(event) });

      // Act
      await writeModelPointer(pointerFile, { version: 2, modelArtifact: join(dir, 'binary', 'train.csv') });
      server.refresh();
      const ping = (await (await fetch(`${server.url}/ping`)).json()) as { modelVersion: number };
      const response = await invoke(server, rows[0] ?? '');
      await server.close();

      // Assess
      expect(ping.modelVersion).toBe(1);
      expect(response.status).toBe(200);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'model-load-failed', error: expect.objectContaining({ name: 'ModelFormatError' }) }),
      );
    });

    it('rejects at start when a direct modelArtifact is not a model', async () => {
      // Prepare
      const modelArtifact = join(dir, 'binary', 'train.csv');

      // Act
      const start = startEndpointServer({ port: 0, modelSource: { modelArtifact } });

      // Assess
      await expect(start).rejects.toMatchObject({ name: 'ModelFormatError' });
    });
  });
});
