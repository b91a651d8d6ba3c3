/** Hot swap through the pointer file, under continuous traffic, with real models on 127.0.0.1. */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpointServer } from '../../../local/serving/endpoint-server.js';
import type { EndpointEvent, EndpointServer } from '../../../local/serving/endpoint-server.js';
import { writeModelPointer } from '../../../local/serving/model-pointer.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { startContinuousClients } from './continuous-clients.js';
import { featureRows, toMatrix, trainTinyModel } from './tiny-models.js';

const FEATURES = 4;
/** A bound on the pings that wait for the swap: each is a request, so it waits on the server, never on a timer. */
const MAX_PINGS = 10_000;

function reference(artifact: string, lines: readonly string[]): string {
  const model = loadXgboostModel(artifact);
  try {
    const { values, nRows, nCols } = toMatrix(lines);
    return Array.from(model.predict(values, nRows, nCols), (value) => `${value}`).join('|');
  } finally {
    model.free();
  }
}

/** How many turns of the event loop {@link until} waits before it gives up. */
const MAX_TURNS = 100_000;

/** Yields to the event loop until `condition` holds: waits on what the server does, not on a timer. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < MAX_TURNS; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${what}: not within ${MAX_TURNS} turns of the event loop`);
}

/** The answer as the same `|`-joined numbers as {@link reference}. */
const asNumbers = (csv: string): string => csv.trimEnd().split('\n').map(Number).join('|');

describe('hot swap', () => {
  let dir: string;
  let first: string;
  let second: string;
  const rows = featureRows(8, FEATURES, 5);
  let expectedFirst: string;
  let expectedSecond: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-hot-swap-'));
    first = await trainTinyModel(dir, 'first', { task: 'binary', features: FEATURES, seed: 3 });
    second = await trainTinyModel(dir, 'second', { task: 'binary', features: FEATURES, seed: 4, inverted: true, rounds: 20 });
    expectedFirst = reference(first, rows);
    expectedSecond = reference(second, rows);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a pointer change under continuous requests', () => {
    let server: EndpointServer;
    let pointerFile: string;
    const events: EndpointEvent[] = [];

    beforeAll(async () => {
      pointerFile = join(dir, 'endpoint', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 1, modelArtifact: first });
      // A long poll: the swap below must come from fs.watch.
      server = await startEndpointServer({
        port: 0,
        modelSource: { pointerFile },
        pollIntervalMs: 60_000,
        onEvent: (event) => events.push(event),
      });
    });

    afterAll(async () => {
      await server.close();
    });

    it('drops no request and answers from the new model after the swap when clients keep sending', async () => {
      // Prepare: four clients in a loop, each recording every answer in order, answered by the first model
      const clients = startContinuousClients({
        url: `${server.url}/invocations`,
        body: `${rows.join('\n')}\n`,
        headers: { 'Content-Type': 'text/csv' },
        clients: 4,
        maxRequestsPerClient: 5_000,
      });
      let before: number | undefined;
      let swappedAt = Number.POSITIVE_INFINITY;
      try {
        await clients.answeredAfter(Number.NEGATIVE_INFINITY, 11);

        // Act: move the pointer, ask until the server reports the new model, then let more answers come
        before = clients.answers.length;
        await writeModelPointer(pointerFile, { version: 2, modelArtifact: second, runId: 'run-2' });
        for (let asked = 0; asked < MAX_PINGS && swappedAt === Number.POSITIVE_INFINITY; asked += 1) {
          const ping = (await (await fetch(`${server.url}/ping`)).json()) as { modelVersion: number };
          if (ping.modelVersion === 2) swappedAt = performance.now();
        }
        if (swappedAt < Number.POSITIVE_INFINITY) await clients.answeredAfter(swappedAt, 11);
      } finally {
        await clients.stop();
      }
      const failures = clients.failures;
      const answers = clients.answers.map((answer) => ({ at: answer.at, text: asNumbers(answer.text) }));

      // Assess
      expect(failures).toEqual([]);
      expect(before).toBeGreaterThan(10);
      expect(swappedAt).toBeLessThan(Number.POSITIVE_INFINITY);
      expect(expectedFirst).not.toBe(expectedSecond);
      const later = answers.filter((answer) => answer.at > swappedAt);
      expect(later.length).toBeGreaterThan(10);
      expect(later.every((answer) => answer.text === expectedSecond)).toBe(true);
      expect(answers.every((answer) => answer.text === expectedFirst || answer.text === expectedSecond)).toBe(true);
      expect(answers.some((answer) => answer.text === expectedFirst)).toBe(true);
      expect(events).toContainEqual(expect.objectContaining({ type: 'model-loaded', model: expect.objectContaining({ version: 2 }) }));
      expect(events).toContainEqual(expect.objectContaining({ type: 'model-freed', model: expect.objectContaining({ version: 1 }) }));
      expect(server.loadedModels).toBe(1);
    });
  });

  describe('a request in flight during the swap', () => {
    it('finishes on the model it started with and frees that model after answering', async () => {
      // Prepare: a request whose body is half sent when the pointer moves on
      const pointerFile = join(dir, 'in-flight', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 1, modelArtifact: first });
      const events: EndpointEvent[] = [];
      const server = await startEndpointServer({ port: 0, modelSource: { pointerFile }, onEvent: (event) => events.push(event) });
      const body = Buffer.from(`${rows.join('\n')}\n`);
      const half = Math.floor(body.length / 2);
      let answered: (value: { status: number; text: string }) => void = () => undefined;
      const answer = new Promise<{ status: number; text: string }>((resolve) => {
        answered = resolve;
      });
      const request = http.request(
        `${server.url}/invocations`,
        { method: 'POST', headers: { 'Content-Type': 'text/csv', 'Content-Length': body.length }, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => answered({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        },
      );
      request.write(body.subarray(0, half));
      await until(() => server.activeRequests === 1, 'the server taking the half-sent request on the first model');

      // Act
      await writeModelPointer(pointerFile, { version: 2, modelArtifact: second });
      server.refresh();
      const duringSwap = { version: server.model?.version, loaded: server.loadedModels };
      const fresh = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body });
      const freshText = asNumbers(await fresh.text());
      const freedBefore = events.filter((event) => event.type === 'model-freed').length;
      request.end(body.subarray(half));
      const old = await answer;
      await new Promise((resolve) => setImmediate(resolve));
      const afterwards = server.loadedModels;
      await server.close();

      // Assess
      expect(duringSwap).toEqual({ version: 2, loaded: 2 });
      expect(freshText).toBe(expectedSecond);
      expect(old.status).toBe(200);
      expect(asNumbers(old.text)).toBe(expectedFirst);
      expect(freedBefore).toBe(0);
      expect(afterwards).toBe(1);
      expect(events).toContainEqual(expect.objectContaining({ type: 'model-freed', model: expect.objectContaining({ version: 1 }) }));
    });
  });
});
