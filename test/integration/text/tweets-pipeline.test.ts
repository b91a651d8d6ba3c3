import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { majorityBaselineAccuracy } from '../../../core/text/classification-metrics.js';
import { fromFastTextLabel } from '../../../core/text/label-mapping.js';
import { parsePipelineSpec } from '../../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { gatherChannel } from '../../../local/fasttext/train.js';
import { LocalRegistry } from '../../../local/adapters/local-registry.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { predictTextFile } from '../../../local/serving/predict-text-file.js';
import { textServingSpecOf } from '../../../local/serving/text-normaliser.js';
import type { TextServingSpec } from '../../../local/serving/text-normaliser.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { csvColumns, parseCsvRows } from './csv-rows.js';

const TWEETS_CSV = path.join(REPO_ROOT, '..', 'shared', 'data', 'trump_tweets.csv');
const SPEC_FILE = path.join(REPO_ROOT, 'test', 'fixtures', 'tweets', 'pipeline.yml');

/** The lake path of a `s3://<lake bucket>/…` URI (the registry's) or of a path the run summary gives. */
function localPath(lake: string, uri: string): string {
  if (path.isAbsolute(uri)) return uri;
  return lakePath(lake, uri.replace(`s3://${LOCAL_LAKE_BUCKET}/`, '').replace(/^lake:\/\//, ''));
}

describe('tweets pipeline (multi-class text, local runtime)', () => {
  let work = '';
  let lake = '';
  let spec: PipelineSpec;
  let normalisation: TextServingSpec;
  let summary: RunSummary;
  let tweets: { source: string; text: string }[];
  let validationLabels: string[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sluice-tweets-'));
    spec = parsePipelineSpec(await readFile(SPEC_FILE, 'utf8'), SPEC_FILE);
    normalisation = textServingSpecOf(spec) as TextServingSpec;
    lake = await freshLake();
    const csv = await readFile(TWEETS_CSV, 'utf8');
    tweets = csvColumns(parseCsvRows(csv), 'source', 'text');
    summary = await runOnContent(spec, lake, 'trump_tweets.csv', csv);
    const validation = summary.outputs.features?.validation ?? '';
    const channel = await gatherChannel(localPath(lake, validation), path.join(work, 'validation.txt'));
    validationLabels = (await readFile(channel, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => fromFastTextLabel(line.slice(0, line.indexOf(' '))));
  });

  afterAll(async () => {
    await testServers.closeAll();
    if (work !== '') await rm(work, { recursive: true, force: true });
    if (lake !== '') await rm(lake, { recursive: true, force: true });
  });

  describe('a run on the tweets file', () => {
    it('ingests, trains, gates and serves a 19-class model when the file arrives', () => {
      // Prepare: the run of beforeAll

      // Act: done in beforeAll

      // Assess
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('SUCCEEDED');
      expect(new Set(tweets.map((t) => t.source)).size).toBe(19);
      expect(summary.model).toMatchObject({ version: 1, promoted: true, decision: 'promoted' });
    });

    it('reports per-class metrics under every validation class in the user labels when the model is evaluated', () => {
      // Prepare
      const sources = new Set(tweets.map((t) => t.source));
      const metrics = summary.model?.metrics ?? {};

      // Act
      const scored = Object.keys(metrics)
        .filter((name) => name.startsWith('evaluation:f1@'))
        .map((name) => name.slice('evaluation:f1@'.length));

      // Assess: percent-encoded fastText labels (Twitter%20for%20iPhone) came back decoded
      for (const label of new Set(validationLabels)) expect(scored).toContain(label);
      for (const label of scored) expect(sources.has(label)).toBe(true);
      expect(scored).toEqual(expect.arrayContaining(['Twitter for Android', 'Twitter for iPhone', 'Twitter Web Client']));
      expect(new Set(validationLabels).size).toBeGreaterThanOrEqual(15);
    });

    it('beats the majority-class baseline of the validation set when its accuracy is compared', () => {
      // Prepare
      const baseline = majorityBaselineAccuracy(validationLabels);
      const metrics = summary.model?.metrics ?? {};

      // Act
      const accuracy = metrics['evaluation:accuracy'] ?? 0;

      // Assess
      expect(metrics['validation:accuracy']).toBe(accuracy);
      expect(accuracy).toBeGreaterThan(baseline);
      // eslint-disable-next-line no-console
      console.info(
        `tweets: accuracy ${accuracy.toFixed(4)} macro-F1 ${(metrics['evaluation:macro_f1'] ?? 0).toFixed(4)} majority baseline ${baseline.toFixed(4)} (${validationLabels.length} validation tweets)`,
      );
    });
  });

  describe('predictions of raw tweets', () => {
    it('answers the user labels from the served model when given a CSV of raw tweets', async () => {
      // Prepare: raw tweets (links, punctuation, capitals, line breaks) as a user would send them
      const sample = tweets.filter((_, i) => i % 40 === 0);
      const file = path.join(work, 'raw-tweets.csv');
      await writeFile(file, `text\n${sample.map((t) => `"${t.text.replaceAll('"', '""')}"`).join('\n')}\n`);
      const production = await new LocalRegistry(new FolderObjectStore(lake), LOCAL_LAKE_BUCKET).production(spec.name);

      // Act
      const result = await predictTextFile({ modelArtifact: localPath(lake, production?.modelArtifact ?? ''), file, normalisation, k: 2 });

      // Assess
      const sources = new Set(tweets.map((t) => t.source));
      expect(result.predictions).toHaveLength(sample.length);
      for (const p of result.predictions) {
        expect(p.labels).toHaveLength(2);
        for (const label of p.labels) expect(sources.has(label)).toBe(true);
      }
      const correct = result.predictions.filter((p, i) => p.labels[0] === sample[i]?.source).length;
      expect(correct / sample.length).toBeGreaterThan(majorityBaselineAccuracy(sample.map((t) => t.source)));
    });

    it('answers BlazingText JSON with the encoded labels when raw tweets are posted to the endpoint', async () => {
      // Prepare
      const body = JSON.stringify({ instances: tweets.slice(0, 5).map((t) => t.text), configuration: { k: 3 } });

      // Act
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

      // Assess: the wire format keeps fastText's labels; decoding them gives the user's sources
      expect(answer.status).toBe(200);
      const predictions = (await answer.json()) as { label: string[]; prob: number[] }[];
      expect(predictions).toHaveLength(5);
      const sources = new Set(tweets.map((t) => t.source));
      for (const p of predictions) {
        expect(p.label).toHaveLength(3);
        for (const label of p.label) expect(sources.has(fromFastTextLabel(label))).toBe(true);
      }
    });
  });
});
