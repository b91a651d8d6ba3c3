import path from 'node:path';
import type { PipelineSpec } from './load-spec.js';

/**
 * The spec file as the user knows it, for messages that ask them to change a setting: relative to the working
 * directory when it lies below it (`pipelines/churn/pipeline.yml`), else the absolute path.
 */
export function specFileForUser(spec: Pick<PipelineSpec, 'file'>): string {
  const relative = path.relative(process.cwd(), spec.file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : spec.file;
}
