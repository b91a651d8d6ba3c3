/**
 * BlazingText's real-time inference contract for text classification (SageMaker developer guide, BlazingText
 * algorithm, "Inference" / "Text classification": a request is `application/json`, `{"instances": ["the sentence",
 * ...], "configuration": {"k": N}}`, and the answer holds, per instance, `{"label": ["__label__…", ...], "prob":
 * [p, ...]}`, the k most probable labels; "content-type and accept must be equal" for JSON,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html; see docs/research-notes-text.md). The local
 * endpoint speaks the same contract, so the smoke test and `sluice predict` use one reader.
 */
import { FASTTEXT_LABEL_PREFIX } from '../text/label-mapping.js';

/** BlazingText's JSON content type, sent as both Content-Type and Accept. */
export const BLAZINGTEXT_CONTENT_TYPE = 'application/json';

/** The body of a BlazingText inference request for `sentences` (already normalised and space-tokenised), top `k`. */
export function blazingTextRequestBody(sentences: readonly string[], k = 1): string {
  return JSON.stringify({ instances: sentences, configuration: { k } });
}

/** One instance's answer: labels (as the model writes them, `__label__…`) and their probabilities, most probable first. */
export interface TextPrediction {
  readonly label: readonly string[];
  readonly prob: readonly number[];
}

/** A BlazingText answer read against the request: its predictions, or what is wrong with it. */
export type TextPredictionAnswer = { ok: true; predictions: TextPrediction[] } | { ok: false; problem: string };

/** Reads an answer to `instances` sentences: a JSON array of one `{label, prob}` per instance, each a label and a probability at least. */
export function readTextPredictionAnswer(body: string, instances: number): TextPredictionAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the answer is not JSON' };
  }
  if (!Array.isArray(parsed)) return { ok: false, problem: 'the answer is not a JSON array' };
  if (parsed.length !== instances) return { ok: false, problem: `${parsed.length} predictions for ${instances} instances` };
  const predictions: TextPrediction[] = [];
  for (const [i, item] of parsed.entries()) {
    const label: unknown = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['label'] : undefined;
    const prob: unknown = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['prob'] : undefined;
    if (!Array.isArray(label) || !Array.isArray(prob) || label.length === 0 || label.length !== prob.length) {
      return { ok: false, problem: `prediction ${i} does not hold as many labels as probabilities (one at least)` };
    }
    if (!label.every((l): l is string => typeof l === 'string' && l.startsWith(FASTTEXT_LABEL_PREFIX))) {
      return { ok: false, problem: `prediction ${i} holds a label that does not start with ${FASTTEXT_LABEL_PREFIX}` };
    }
    if (!prob.every((p): p is number => typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1)) {
      return { ok: false, problem: `prediction ${i} holds a probability outside [0, 1]` };
    }
    predictions.push({ label, prob });
  }
  return { ok: true, predictions };
}

/** The sentence of a channel line: the line without its leading `__label__…` token. */
export function sentenceOfChannelLine(line: string): string {
  if (!line.startsWith(FASTTEXT_LABEL_PREFIX)) return line;
  const space = line.indexOf(' ');
  return space === -1 ? '' : line.slice(space + 1);
}
