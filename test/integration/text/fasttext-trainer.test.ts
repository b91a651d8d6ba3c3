import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { majorityBaselineAccuracy } from '../../../core/text/classification-metrics.js';
import { fromFastTextLabel } from '../../../core/text/label-mapping.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import { LocalBlazingTextTrainer } from '../../../local/fasttext/fasttext-trainer.js';
import type { BlazingTextTrainingRequest } from '../../../local/fasttext/fasttext-trainer.js';
import { extractFastTextModel } from '../../../local/fasttext/model-archive.js';
import { FastTextPredictor } from '../../../local/fasttext/predictor.js';
import { openSparseScorer } from '../../../local/fasttext/sparse-scorer.js';
import { REPO_ROOT, writeChannel } from './text-channels.js';

// Small hash tables keep the models (buckets × dim floats) and the tests light; every value is a valid BlazingText one.
const HYPERPARAMETERS = { mode: 'supervised', epochs: 10, learning_rate: 0.1, word_ngrams: 2, vector_dim: 20, min_count: 1, buckets: 100000 };

function request(jobName: string, channels: string): BlazingTextTrainingRequest {
  return {
    jobName,
    algorithm: 'blazingtext',
    hyperparameters: HYPERPARAMETERS,
    trainUri: `lake://${channels}/train/`,
    validationUri: `lake://${channels}/validation/`,
    outputUri: 'lake://models/reviews/',
    resources: { instanceType: 'ml.c5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
    maxRuntimeSeconds: 600,
  };
}

async function settled(trainer: LocalBlazingTextTrainer, board: LocalJobBoard, jobName: string): Promise<Awaited<ReturnType<LocalBlazingTextTrainer['trainingStatus']>>> {
  for (;;) {
    const status = await trainer.trainingStatus(jobName);
    if (status.state !== 'InProgress') return status;
    await board.settledOrAfter(60_000);
  }
}

function labelsOf(lines: readonly string[]): string[] {
  return lines.map((line) => fromFastTextLabel(line.split(' ')[0] ?? ''));
}

describe('LocalBlazingTextTrainer', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-fasttext-'));
  const localPath = (uri: string): string => join(root, uri.replace(/^lake:\/\//, ''));
  let reviewsValidation: string[] = [];

  beforeAll(async () => {
    const data = join(REPO_ROOT, 'pipelines', 'reviews', 'data');
    execFileSync('mkdir', ['-p', localPath('lake://reviews/train/'), localPath('lake://reviews/validation/'), localPath('lake://tweets/train/'), localPath('lake://tweets/validation/')]);
    await writeChannel(join(data, 'fine_foods_reviews_train.csv'), localPath('lake://reviews/train/part-0.txt'), { label: 'score', text: 'review' });
    reviewsValidation = await writeChannel(join(data, 'fine_foods_reviews_test.csv'), localPath('lake://reviews/validation/part-0.txt'), { label: 'score', text: 'review' });
    const tweets = join(REPO_ROOT, '..', 'shared', 'data', 'trump_tweets.csv');
    await writeChannel(tweets, localPath('lake://tweets/train/part-0.txt'), { label: 'source', text: 'text' }, 'rn % 5 <> 0');
    await writeChannel(tweets, localPath('lake://tweets/validation/part-0.txt'), { label: 'source', text: 'text' }, 'rn % 5 = 0');
  });

  describe('a reviews training job', () => {
    it('returns at once, then completes with model.tar.gz holding model.bin and beats the majority baseline when polled', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer(localPath, { board });

      // Act
      await trainer.startTraining(request('reviews-job-1', 'reviews'));
      const right = await trainer.trainingStatus('reviews-job-1');
      const status = await settled(trainer, board, 'reviews-job-1');

      // Assess
      expect(right.state).toBe('InProgress');
      expect(status).toMatchObject({ state: 'Completed' });
      expect(status.modelArtifact).toBe('lake://models/reviews/reviews-job-1/output/model.tar.gz');
      const entries: string[] = [];
      await tar.list({ file: localPath(status.modelArtifact ?? ''), onReadEntry: (entry) => entries.push(entry.path) });
      expect(entries).toEqual(['model.bin']);
      const evaluation = status.evaluation ?? {};
      const accuracy = Number(evaluation['accuracy']);
      expect(status.metrics?.['validation:accuracy']).toBe(accuracy);
      expect(Object.keys(evaluation['confusion_matrix'] as object)).toEqual(['great', 'other']);
      expect(Object.keys(evaluation).filter((key) => key.includes('@')).sort()).toEqual(['f1@great', 'f1@other', 'precision@great', 'precision@other', 'recall@great', 'recall@other']);
      expect(evaluation['rows']).toBe(reviewsValidation.length);
      expect(accuracy).toBeGreaterThan(majorityBaselineAccuracy(labelsOf(reviewsValidation)));
      // eslint-disable-next-line no-console
      console.info(`reviews: accuracy ${accuracy.toFixed(4)} macro-F1 ${Number(evaluation['macro_f1']).toFixed(4)} baseline ${majorityBaselineAccuracy(labelsOf(reviewsValidation)).toFixed(4)}`);
    });

    it('writes the same archive bytes when the same job is trained twice with one thread', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer(localPath, { board, threads: 1 });

      // Act
      await trainer.startTraining(request('reviews-det-a', 'reviews'));
      await trainer.startTraining(request('reviews-det-b', 'reviews'));
      const a = await settled(trainer, board, 'reviews-det-a');
      const b = await settled(trainer, board, 'reviews-det-b');

      // Assess
      expect(readFileSync(localPath(a.modelArtifact ?? '')).equals(readFileSync(localPath(b.modelArtifact ?? '')))).toBe(true);
    });

    it('answers the same labels and probabilities as the fastText command line when its model.bin is loaded there', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer(localPath, { board });
      await trainer.startTraining(request('reviews-parity', 'reviews'));
      const status = await settled(trainer, board, 'reviews-parity');
      const modelBin = await extractFastTextModel(localPath(status.modelArtifact ?? ''), join(root, 'parity-model'));
      const texts = reviewsValidation.slice(0, 300).map((line) => line.slice(line.indexOf(' ') + 1));
      writeFileSync(join(root, 'parity-input.txt'), texts.map((text) => `${text}\n`).join(''));

      // Act
      const predictor = await FastTextPredictor.open(modelBin);
      const ours = await predictor.predict(texts, 2).finally(() => predictor.close());
      const cli = execFileSync('fasttext', ['predict-prob', modelBin, join(root, 'parity-input.txt'), '2'], { encoding: 'utf8' }).trimEnd().split('\n');

      // Assess
      expect(ours.map((answer) => answer.labels.map((label, i) => `__label__${label} ${String(answer.probabilities[i])}`).join(' '))).toEqual(
        cli.map((line) => line.trim().split(' ').map((word, i) => (i % 2 === 1 ? String(Number(word)) : word)).join(' ')),
      );
    });
  });

  describe('the sparse scorer', () => {
    it('answers the top labels and probabilities of fasttext predict-prob when it reads a trained model.bin', async () => {
      // Prepare: a 19-class model (label order and softmax over many classes matter) and raw channel texts
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer(localPath, { board });
      await trainer.startTraining(request('tweets-sparse', 'tweets'));
      const status = await settled(trainer, board, 'tweets-sparse');
      const modelBin = await extractFastTextModel(localPath(status.modelArtifact ?? ''), join(root, 'sparse-model'));
      const lines = readFileSync(localPath('lake://tweets/validation/part-0.txt'), 'utf8').trimEnd().split('\n').slice(0, 500);
      const texts = lines.map((line) => line.slice(line.indexOf(' ') + 1));
      writeFileSync(join(root, 'sparse-input.txt'), texts.map((text) => `${text}\n`).join(''));

      // Act
      const scorer = await openSparseScorer(modelBin);
      const ours = await scorer?.predict(texts, 3).finally(() => scorer.close());
      const cli = execFileSync('fasttext', ['predict-prob', modelBin, join(root, 'sparse-input.txt'), '3'], { encoding: 'utf8' }).trimEnd().split('\n');

      // Assess: the same labels in the same order; probabilities as fastText prints them (6 significant digits)
      expect(ours?.map((answer) => answer.fastTextLabels.join(' '))).toEqual(cli.map((line) => line.trim().split(' ').filter((_, i) => i % 2 === 0).join(' ')));
      expect(ours?.map((answer) => answer.probabilities.map((p) => Number(p.toPrecision(6))))).toEqual(cli.map((line) => line.trim().split(' ').filter((_, i) => i % 2 === 1).map(Number)));
    });
  });

  describe('a multi-class tweets training job', () => {
    it('reports every class in the user labels and beats the majority baseline when 19 imbalanced sources are trained', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer(localPath, { board });
      const validation = readFileSync(localPath('lake://tweets/validation/part-0.txt'), 'utf8').trimEnd().split('\n');

      // Act
      await trainer.startTraining(request('tweets-job', 'tweets'));
      const status = await settled(trainer, board, 'tweets-job');

      // Assess
      expect(status).toMatchObject({ state: 'Completed' });
      const evaluation = status.evaluation ?? {};
      const classes = [...new Set(labelsOf(validation))];
      for (const label of classes) expect(typeof evaluation[`f1@${label}`]).toBe('number');
      expect(classes).toContain('Twitter for iPhone');
      const matrix = evaluation['confusion_matrix'] as Record<string, Record<string, number>>;
      expect(matrix['Twitter for Android']?.['Twitter for Android']).toBeGreaterThan(0);
      const accuracy = Number(evaluation['accuracy']);
      expect(accuracy).toBeGreaterThan(majorityBaselineAccuracy(labelsOf(validation)));
      // eslint-disable-next-line no-console
      console.info(`tweets: accuracy ${accuracy.toFixed(4)} macro-F1 ${Number(evaluation['macro_f1']).toFixed(4)} baseline ${majorityBaselineAccuracy(labelsOf(validation)).toFixed(4)}`);
    });
  });
});
