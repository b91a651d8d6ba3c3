/**
 * The `POST /invocations` contract of SageMaker's BlazingText text classification endpoint, as pure functions. The
 * developer guide (BlazingText algorithm, "Inference" for text classification,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html, quoted in core/deployment/text-prediction.ts):
 * the request is `application/json`, `{"instances": ["the sentence", ...], "configuration": {"k": N}}` with
 * `configuration` optional (top 1 without it), and the answer is a JSON array with one
 * `{"label": ["__label__…", ...], "prob": [p, ...]}` per instance, the k most probable labels first.
 *
 * Kept free of HTTP and of fastText so that unit tests cover every rule without a server or a model.
 */
import type { TextPrediction } from '../fasttext/predictor.js';
import { PayloadFormatError, TextRequestError, UnsupportedContentTypeError } from './errors.js';

/** A text request read: the raw sentences and how many labels each answer holds. */
export interface TextRequest {
  readonly instances: readonly string[];
  readonly k: number;
}

/** The most labels one request may ask for per instance (more than any text model here has classes). */
export const MAX_TEXT_K = 1000;

/**
 * Reads `Content-Type` for a text model: only `application/json` (BlazingText's one format for text classification).
 * @throws UnsupportedContentTypeError (415) for any other type, or none
 */
export function checkTextContentType(header: string | undefined): void {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') return;
  throw new UnsupportedContentTypeError(
    `${header === undefined || header.trim() === '' ? 'A request without Content-Type' : `Content-Type ${header}`} is not accepted by a text classification endpoint: send application/json, {"instances": ["text", ...], "configuration": {"k": 1}}`,
  );
}

/**
 * Parses a BlazingText request body.
 * @throws PayloadFormatError (415) when it is not JSON or not `{"instances": [string, ...]}`; TextRequestError (400) for a bad `k`
 */
export function parseTextRequest(body: Uint8Array): TextRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (cause) {
    throw new PayloadFormatError(`The body is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PayloadFormatError('The body must be a JSON object: {"instances": ["text", ...], "configuration": {"k": 1}}');
  }
  const { instances, configuration } = parsed as Record<string, unknown>;
  if (!Array.isArray(instances) || !instances.every((item): item is string => typeof item === 'string')) {
    throw new PayloadFormatError('"instances" must be an array of strings (one text per instance)');
  }
  let k = 1;
  if (configuration !== undefined) {
    const value = typeof configuration === 'object' && configuration !== null ? (configuration as Record<string, unknown>)['k'] : undefined;
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TEXT_K) {
        throw new TextRequestError(`"configuration.k" must be an integer from 1 to ${MAX_TEXT_K}, got ${JSON.stringify(value)}`);
      }
      k = value;
    }
  }
  return { instances, k };
}

/** The answer body: one `{"label": [...], "prob": [...]}` per instance, labels as the model writes them (`__label__…`). */
export function formatTextAnswer(predictions: readonly TextPrediction[]): string {
  return JSON.stringify(predictions.map((p) => ({ label: p.fastTextLabels, prob: p.probabilities })));
}
