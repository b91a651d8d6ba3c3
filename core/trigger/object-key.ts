/**
 * Why an object key may not be used as a path in the lake, or undefined when it may. S3 takes any key, but the
 * local store maps keys to files and every key also ends up in local file names (scratch copies, DuckDB reads): a key
 * that climbs (`..`), is absolute, holds a backslash or a NUL, or has empty or `.` segments could resolve outside the
 * lake root, so both runtimes refuse it.
 *
 * @example objectKeyProblem('incoming/churn/../../registry/x.json') // 'has a ".." segment'
 */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (key.length > 1024) return 'is longer than 1024 bytes (the S3 limit)';
  if (key.startsWith('/')) return 'is absolute (starts with "/")';
  if (key.includes('\\')) return 'holds a backslash';
  if (key.includes('\0')) return 'holds a NUL character';
  const segments = key.split('/');
  // A trailing slash names a folder: its last segment is empty and allowed.
  const inner = key.endsWith('/') ? segments.slice(0, -1) : segments;
  if (inner.includes('..')) return 'has a ".." segment';
  if (inner.includes('.')) return 'has a "." segment';
  if (inner.includes('')) return 'has an empty segment ("//")';
  return undefined;
}
