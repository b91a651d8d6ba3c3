/**
 * Decodes the object key of an S3 event: S3 URL-encodes keys in its event notifications, with "+" for spaces. Both
 * entries of a run read it: start-run (the EventBridge target) and NormalizeInput (a rule targeting the state machine
 * directly).
 */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replaceAll('+', ' '));
}
