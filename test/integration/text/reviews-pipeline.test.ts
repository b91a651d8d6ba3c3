import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LocalRegistry } from '../../../local/adapters/local-registry.js';
import { extractFastTextModel } from '../../../local/fasttext/model-archive.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { predictTextFile } from '../../../local/serving/predict-text-file.js';
import { startEndpointServer } from '../../../local/serving/endpoint-server.js';
import type { EndpointEvent } from '../../../local/serving/endpoint-server.js';
import { writeModelPointer } from '../../../local/serving/model-pointer.js';
import { loadTextServingModel } from '../../../local/serving/text-model.js';
import { TextNormaliser, textServingSpecOf } from '../../../local/serving/text-normaliser.js';
import type { TextServingSpec } from '../../../local/serving/text-normaliser.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { featureRows, trainTinyModel } from '../serving/tiny-models.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { parseCsvRows } from './csv-rows.js';
import { smallReviewsSpec } from '../../support/reviews-spec.js';

const REVIEWS = path.join(REPO_ROOT, 'pipelines/reviews');


describe('reviews pipeline (text, local runtime)', () => {
  let work: string;
  let lake: string;
  let spec: PipelineSpec;
  let normalisation: TextServingSpec;
  let summary: RunSummary;
  let testFile: string;
  let reviews: string[];
  let scores: string[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sluice-reviews-spec-'));
    spec = await smallReviewsSpec(work);
    normalisation = textServingSpecOf(spec) as TextServingSpec;
    lake = await freshLake();
    const train = await readFile(path.join(REVIEWS, 'data/fine_foods_reviews_train.csv'));
    summary = await runOnContent(spec, lake, 'fine_foods_reviews_train.csv', train);
    testFile = path.join(REVIEWS, 'data/fine_foods_reviews_test.csv');
    const [header = [], ...rows] = parseCsvRows(await readFile(testFile, 'utf8'));
    reviews = rows.map((r) => r[header.indexOf('review')] ?? '');
    scores = rows.map((r) => r[header.indexOf('score')] ?? '');
  });

  afterAll(async () => {
    await testServers.closeAll();
    await rm(work, { recursive: true, force: true });
    await rm(lake, { recursive: true, force: true });
  });

  async function productionArtifact(): Promise<string> {
    const production = await new LocalRegistry(new FolderObjectStore(lake), LOCAL_LAKE_BUCKET).production(spec.name);
    return lakePath(lake, (production?.modelArtifact ?? '').replace(`s3://${LOCAL_LAKE_BUCKET}/`, ''));
  }

  describe('a run on the training reviews', () => {
    it('trains, tunes, gates, deploys and smoke-tests a text model when the training file arrives', () => {
      // Prepare: the run of beforeAll

      // Act: done in beforeAll

      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.model).toMatchObject({ version: 1, promoted: true, decision: 'promoted' });
    });
  });

  describe('the endpoint', () => {
    it('answers raw reviews in BlazingText JSON with the top k labels when posted application/json', async () => {
      // Prepare
      const body = JSON.stringify({ instances: reviews.slice(0, 3), configuration: { k: 2 } });

      // Act
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

      // Assess
      expect(answer.status).toBe(200);
      const predictions = (await answer.json()) as { label: string[]; prob: number[] }[];
      expect(predictions).toHaveLength(3);
      for (const p of predictions) {
        expect([...p.label].sort()).toEqual(['__label__great', '__label__other']);
        expect(p.prob[0] ?? 0).toBeGreaterThanOrEqual(p.prob[1] ?? 1);
      }
    });

    it('answers 415 naming the JSON contract when the request is text/csv', async () => {
      // Prepare
      const body = 'great tea\n';

      // Act
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

      // Assess
      expect(answer.status).toBe(415);
      expect(await answer.text()).toMatch(/application\/json/);
    });

    it('gives the labels and probabilities of the fastText command line on the normalised text when given raw reviews', async () => {
      // Prepare
      const raw = reviews.slice(0, 20);
      const normaliser = new TextNormaliser(normalisation);
      const normalised = await normaliser.normalise(raw);
      await normaliser.close();
      const modelBin = await extractFastTextModel(await productionArtifact(), work);
      const cli = execFileSync('fasttext', ['predict-prob', modelBin, '-', '2'], { input: normalised.map((t) => `${t}\n`).join(''), encoding: 'utf8' })
        .trimEnd()
        .split('\n')
        .map((line) => {
          const words = line.split(' ');
          return { label: [words[0], words[2]], prob: [Number(words[1]), Number(words[3])] };
        });

      // Act
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: raw, configuration: { k: 2 } }),
      });

      // Assess: the HTML remnant of the raw text is gone from what the model saw, and the answers are the CLI's
      expect(normalised.join(' ')).not.toMatch(/<br/);
      expect(await answer.json()).toEqual(cli);
    });
  });

  describe('predictions of a file of raw reviews', () => {
    it('predicts the test reviews above the majority baseline when given the test CSV', async () => {
      // Prepare
      const counts = new Map<string, number>();
      for (const s of scores) counts.set(s, (counts.get(s) ?? 0) + 1);
      const majority = Math.max(...counts.values()) / scores.length;

      // Act
      const result = await predictTextFile({ modelArtifact: await productionArtifact(), file: testFile, normalisation, k: 1 });

      // Assess
      expect(result.predictions).toHaveLength(scores.length);
      const correct = result.predictions.filter((p, i) => p.labels[0] === scores[i]).length;
      expect(correct / scores.length).toBeGreaterThan(majority);
    });

    it('reads JSON Lines of raw reviews, as strings or objects, when given a .jsonl file', async () => {
      // Prepare
      const file = path.join(work, 'reviews.jsonl');
      await writeFile(file, `${JSON.stringify({ review: reviews[0] })}\n${JSON.stringify(reviews[1])}\n`);

      // Act
      const result = await predictTextFile({ modelArtifact: await productionArtifact(), file, normalisation, k: 2 });

      // Assess
      expect(result.predictions.map((p) => [...p.labels].sort())).toEqual([
        ['great', 'other'],
        ['great', 'other'],
      ]);
    });
  });

  describe('a pointer swapped while a text model loads', () => {
    it('keeps the later XGBoost model and never serves the superseded text model when the pointer changes during the load', async () => {
      // Prepare: version 1 names the text model, whose fastText process is held at a gate (a FIFO it reads before it
      // starts) until version 2, an XGBoost model, is served: the order of events is fixed, not left to speed.
      const xgboost = await trainTinyModel(work, 'tiny', { task: 'binary', features: 3, seed: 7 });
      const gate = path.join(work, 'gate.fifo');
      execFileSync('mkfifo', [gate]);
      const gatedFastText = path.join(work, 'gated-fasttext.sh');
      await writeFile(gatedFastText, `#!/bin/sh\nread go < '${gate}'\nexec fasttext "$@"\n`, { mode: 0o755 });
      const pointerFile = path.join(work, 'swap', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 1, modelArtifact: await productionArtifact() });
      const events: EndpointEvent[] = [];
      const server = await startEndpointServer({ port: 0, modelSource: { pointerFile }, fastTextBinary: gatedFastText, onEvent: (event) => events.push(event) });

      // Act
      await writeModelPointer(pointerFile, { version: 2, modelArtifact: xgboost });
      server.refresh();
      const answer = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `${featureRows(1, 3, 1).join('\n')}\n` });
      await writeFile(gate, 'go\n'); // opens when the gated process reads: the text load then finishes, superseded
      await server.close();

      // Assess: close waited for the text load to settle; only version 2 was ever installed
      expect(answer.status).toBe(200);
      const loaded = events.filter((e) => e.type === 'model-loaded').map((e) => (e.type === 'model-loaded' ? e.model.version : undefined));
      expect(loaded).toEqual([2]);
    });
  });

  describe('a text model closed', () => {
    it('leaves no predictor process behind when freed', async () => {
      // Prepare
      const model = await loadTextServingModel(await productionArtifact(), { normalisation });
      const pid = model.pid ?? -1;

      // Act
      model.free();
      await model.closed;

      // Assess: signal 0 checks that the process exists
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }) as Error);
    });
  });
});
