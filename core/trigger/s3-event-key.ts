import { objectKeyProblem } from './object-key.js';

/**
 * Decodes the object key of an S3 event: S3 URL-encodes keys in its event notifications, with "+" for spaces. Both
 * entries of a run read it: start-run (the EventBridge target) and NormalizeInput (a rule targeting the state machine
 * directly).
 */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replaceAll('+', ' '));
}

/**
 * Decodes an S3 event key, then checks it (see `objectKeyProblem`): the check is on the decoded key, so `%2E%2E`
 * cannot hide a `..`. Returns the key, or the reason it is refused.
 */
export function decodeAndCheckS3EventKey(key: string): { key: string; problem?: string } {
  let decoded: string;
  try {
    decoded = decodeS3EventKey(key);
  } catch {
    return { key, problem: 'is not a valid URL-encoded key' };
  }
  const problem = objectKeyProblem(decoded);
  return problem ? { key: decoded, problem } : { key: decoded };
}
