import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { parsePipelineSpec } from '../../core/spec/load-spec.js';
import { REPO_ROOT } from './spec-fixtures.js';

const REVIEWS = path.join(REPO_ROOT, 'pipelines/reviews');

/**
 * The shipped reviews spec, made small in `dir` (its pipeline.yml and features.sql): few epochs, 2 trials, small hash
 * tables. The model shrinks, not the pipeline: contract, feature query, gate and deployment are the shipped ones.
 */
export async function smallReviewsSpec(dir: string): Promise<PipelineSpec> {
  const yml = (await readFile(path.join(REVIEWS, 'pipeline.yml'), 'utf8'))
    .replace('epochs: 10', 'epochs: 5')
    .replace('buckets: 200000', 'buckets: 20000')
    .replace(/maxJobs: 4\b/, 'maxJobs: 2')
    .replace('min: 5, max: 15', 'min: 3, max: 6')
    .replace('min: 32, max: 300', 'min: 16, max: 50');
  await writeFile(path.join(dir, 'pipeline.yml'), yml);
  await writeFile(path.join(dir, 'features.sql'), await readFile(path.join(REVIEWS, 'features.sql')));
  return parsePipelineSpec(yml, path.join(dir, 'pipeline.yml'));
}
