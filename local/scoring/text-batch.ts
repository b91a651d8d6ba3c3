/**
 * Batch scoring of BlazingText `application/jsonlines` records (`{"source": "<text>"}` after the InputFilter) with real
 * fastText: the model runs in a `fasttext predict-prob` process (local/fasttext/predictor.ts), off the main thread. The
 * answer joined to the record is BlazingText's `{"label": ["__label__…"], "prob": [p]}` (core/deployment/text-prediction.ts)
 * under `SageMakerOutput`, as Batch Transform joins a JSON record (core/scoring/scoring-format.ts).
 */
import { filterObject } from '../../core/scoring/data-processing.js';
import { loadTextServingModel } from '../serving/text-model.js';
import type { BatchFile } from './batch-files.js';
import { scoreFiles } from './batch-files.js';

/** One text batch job. */
export interface TextBatchJob {
  artifact: string;
  files: BatchFile[];
  inputFilter: string;
  outputFilter: string;
  batchSize?: number;
}

/** Scores every file of the job; returns the number of records scored. */
export async function scoreTextFiles(job: TextBatchJob, signal?: AbortSignal): Promise<number> {
  // No normaliser: the scoring query already wrote the text as a channel line's words.
  const model = await loadTextServingModel(job.artifact);
  try {
    return await scoreFiles(
      job.files,
      job.batchSize ?? 4096,
      async (lines) => {
        const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        const texts = records.map((record) => {
          const input = filterObject(record, job.inputFilter) as { source?: unknown } | undefined;
          return typeof input?.source === 'string' ? input.source : '';
        });
        const answers = await model.predict(texts, 1);
        return records.map((record, i) => {
          const answer = answers[i];
          const joined = { ...record, SageMakerOutput: { label: [...(answer?.fastTextLabels ?? [])], prob: [...(answer?.probabilities ?? [])] } };
          return JSON.stringify(filterObject(joined, job.outputFilter));
        });
      },
      signal,
    );
  } finally {
    model.free();
    await model.closed;
  }
}
