/**
 * `sluice score FILE --pipeline NAME [--lake DIR] [--json]`: copies FILE into the lake's scoring drop zone
 * (`score/<pipeline>/<run>/<file name>`, a folder per run so two runs never share a file) and runs the scoring workflow
 * on it locally (local/runtime/run-local-scoring.ts), then prints where the predictions are and the counts.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { formatStep } from './format.js';

const SCORE_USAGE = 'Usage: sluice score FILE --pipeline NAME [--lake DIR] [--json]\n';

/** Runs `sluice score`; returns the exit code. */
export async function scoreCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { pipeline: { type: 'string' }, lake: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file || !values.pipeline || positionals.length > 1) {
    process.stderr.write(`sluice score: give one FILE and --pipeline\n\n${SCORE_USAGE}`);
    return 2;
  }
  if (!(await stat(file).catch(() => undefined))?.isFile()) {
    process.stderr.write(`sluice score: ${file} is not a file\n`);
    return 2;
  }
  const [{ runLocalScoring }, { timeBasedExecutionName }, { objectKeyProblem }, { lakeLayout }] = await Promise.all([
    import('../runtime/run-local-scoring.js'),
    import('../runtime/run-local.js'),
    import('../../core/trigger/object-key.js'),
    import('../../core/run/lake-layout.js'),
  ]);
  const pipeline = values.pipeline;
  const lake = path.resolve(values.lake ?? 'sluice-lake');
  const executionName = timeBasedExecutionName(`${pipeline}-score`);
  const key = `${lakeLayout.scoringDropPrefix(pipeline)}${executionName}/${path.basename(file)}`;
  const problem = objectKeyProblem(key);
  if (problem !== undefined) {
    process.stderr.write(`sluice score: refusing the key "${key}": it ${problem}\n`);
    return 2;
  }
  const target = path.join(lake, LOCAL_LAKE_BUCKET, key);
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(file, target);
  const json = values.json === true;
  if (!json) process.stdout.write(`sluice: scoring ${file} with the production model of "${pipeline}"\n`);
  const summary = await runLocalScoring({
    lake,
    pipeline,
    key,
    executionName,
    ...(json ? {} : { onStep: (step) => { if (step.status !== 'RUNNING') process.stdout.write(`${formatStep(step)}\n`); } }),
  });
  if (json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else if (summary.status === 'SUCCEEDED' && summary.manifest) {
    const { rows, model } = summary.manifest;
    process.stdout.write(
      [
        `scored ${rows.scored} of ${rows.input} rows with model version ${model.version} (${rows.valid} valid, ${rows.quarantined} quarantined)`,
        `predictions: ${summary.outputs.predictions ?? ''}`,
        `table:       ${summary.manifest.outputs.table} (${summary.manifest.outputs.partition})`,
        ...(summary.outputs.quarantine ? [`quarantine:  ${summary.outputs.quarantine}`] : []),
        `manifest:    ${summary.outputs.manifest ?? ''}`,
        '',
      ].join('\n'),
    );
  } else {
    process.stdout.write(`scoring FAILED${summary.error ? ` in ${summary.error.state ?? '?'}: ${summary.error.name}: ${summary.error.message}` : ''}\nlog: ${summary.outputs.log}\n`);
  }
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}
