import { copyFile, mkdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../core/errors.js';
import { LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { projectRoot } from '../runtime/project-root.js';
import type { RunSummary } from '../runtime/run-local.js';
import { formatStep, formatSummary } from './format.js';

// Each command loads what it uses when it runs (`import()`): `stop` and `endpoints` load no engine, `predict` and
// `serve` load XGBoost but not DuckDB or the workflow engine, and only `run` loads everything.

const USAGE = `Usage:
  sluice run FILE --pipeline NAME|PATH [--lake DIR] [--json]
  sluice run --pipeline NAME|PATH [--lake DIR] [--json]
  sluice serve --pipeline NAME [--port N] [--lake DIR]
  sluice predict --pipeline NAME FILE [--label] [--k N] [--lake DIR]
  sluice stop --pipeline NAME [--lake DIR]
  sluice stop --all [--lake DIR]
  sluice endpoints [--lake DIR]
  sluice resume RUN_ID [--lake DIR] [--json]      (alias: sluice redrive)
  sluice schedule [--pipeline NAME|PATH] [--lake DIR]
  sluice runs [--pipeline NAME] [--json] [--lake DIR]
  sluice show RUN_ID [--json] [--lake DIR]
  sluice watch [--lake DIR] [--pipeline NAME|PATH]
  sluice score FILE --pipeline NAME [--lake DIR] [--json]
  sluice console [--lake DIR] [--port N]
  sluice baseline --pipeline NAME|PATH [--lake DIR] [--out FILE]

Commands:
  run      copy FILE into the local lake's drop zone and run the whole workflow on it, locally (a file of the
           lake itself, such as an original archived under raw/, is run where it is)
  serve    serve the pipeline's production model on 127.0.0.1 (SageMaker's /ping and /invocations)
  predict  print the production model's prediction for each row of a CSV of features (a header row names the
           columns; --label skips the label column); for a text pipeline, a CSV or JSON Lines of raw texts
           -> the top --k labels (default 1) with their probabilities
  stop     stop the pipeline's background endpoint (runs that promote a model start one); --all: every one
  endpoints  list the running local endpoints (of every lake, or of --lake DIR)
           with no FILE: retrain on the data already curated in the lake (what a schedule runs, always trained)
  resume   resume a failed run from the state that failed, with that state's input (the states before it do not
           run again), once what made it fail is fixed; Step Functions calls it a redrive (\`redrive\` is an alias)
  schedule run the pipelines' schedules (their schedule: sections) in the foreground until Ctrl-C, printing each
           firing and how its run ended (docs/operations.md)
  runs     list the lake's runs, newest first: trigger, status, duration, rows, model version, gate decision, and
           the notification each sent
  show     one run in full: its summary, each step with its duration, its errors, its notification
  watch    watch the lake's drop zones (incoming/<pipeline>/) and run each burst of files as one run, once no
           file has come for 30 s or 5 min after the first (the cloud's window); files already there are the first
           burst; files in score/<pipeline>/ are scored. Foreground: Ctrl-C stops and waits for the run in progress
  score    copy FILE into the lake's scoring drop zone (score/<pipeline>/) and score it with the pipeline's production
           model: predictions/<pipeline>/score_date=…/, table <pipeline>_predictions (README, "Scoring")
  console  serve a web console of the lake on 127.0.0.1 (default port 8787): runs, workflow graphs, quarantine,
           models with their plots, the endpoint; live while runs progress, read-only (docs/console.md)
  baseline suggest data-quality constraints (Model Monitor's constraints.json) from the curated table's profile,
           into the lake's profiles/<pipeline>/baseline/ or --out FILE (docs/data-quality.md)

Options:
  --pipeline NAME|PATH  a pipeline under pipelines/, or a folder or pipeline.yml of your own
  --lake DIR            the local lake (default: ./sluice-lake)
  --json                print the run summary as JSON instead of live progress
`;

/** The `sluice` command: the local front door. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'run') return await runCommand(rest);
    if (command === 'serve') return await (await import('./serve-commands.js')).serveCommand(rest);
    if (command === 'predict') return await (await import('./serve-commands.js')).predictCommand(rest);
    if (command === 'stop') return await (await import('./serve-commands.js')).stopCommand(rest);
    if (command === 'endpoints') return await (await import('./serve-commands.js')).endpointsCommand(rest);
    if (command === 'redrive' || command === 'resume') return await redriveCommand(rest);
    if (command === 'schedule') return await (await import('./schedule-command.js')).scheduleCommand(rest);
    if (command === 'runs') return await (await import('./runs-command.js')).runsCommand(rest);
    if (command === 'show') return await (await import('./runs-command.js')).showCommand(rest);
    if (command === 'watch') return await (await import('./watch-command.js')).watchCommand(rest);
    if (command === 'score') return await (await import('./score-command.js')).scoreCommand(rest);
    if (command === 'console') return await (await import('./console-command.js')).consoleCommand(rest);
    if (command === 'baseline') return await (await import('./baseline-command.js')).baselineCommand(rest);
    process.stderr.write(`sluice: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (error) {
    const { name, message } = describeError(error);
    process.stderr.write(`sluice: ${name}: ${message}\n`);
    return 1;
  }
}

async function runCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { pipeline: { type: 'string' }, lake: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!values.pipeline || positionals.length > 1) {
    process.stderr.write(`sluice run: give --pipeline, and at most one FILE\n\n${USAGE}`);
    return 2;
  }
  const [{ fixedSpecCatalog }, { loadValidatedSpec, specValidationCacheDir, validatedFolderCatalog }, { objectKeyProblem }] = await Promise.all([
    import('../../core/pipelines/spec-match.js'),
    import('../runtime/validated-spec.js'),
    import('../../core/trigger/object-key.js'),
  ]);
  const root = projectRoot();
  const pipelinesDir = path.join(root, 'pipelines');
  // Validated once per version of the spec (and of the code that validates it): an unchanged spec loads no parser.
  const { spec } = await loadValidatedSpec(values.pipeline, pipelinesDir, specValidationCacheDir(root));
  const builtIn = path.dirname(spec.file) === path.join(pipelinesDir, spec.name);
  // A built-in pipeline's run reads the other built-in specs too: each validated once per version as well.
  const specs = builtIn ? await validatedFolderCatalog(pipelinesDir, specValidationCacheDir(root)) : fixedSpecCatalog([spec]);
  const lakeRoot = path.resolve(values.lake ?? 'sluice-lake');
  if (file === undefined) return (await import('./retrain-command.js')).retrainCommand({ projectRoot: root, spec, specs, lakeRoot, json: values.json === true });
  const fileInfo = await stat(file).catch(() => undefined);
  if (!fileInfo?.isFile()) {
    process.stderr.write(`sluice run: ${file} is not a file\n`);
    return 2;
  }
  // A pipeline that deploys starts its serving process now, before this process loads the runner and its engines
  // (about 0.5 s on one core): the server loads its code on the other core meanwhile, instead of during the training,
  // and the run's Deploy finds it ready (issue 16). The run lets it go if it never deploys.
  const warmLauncher = spec.deployment === undefined ? undefined : (await import('../runtime/endpoint-launcher.js')).warmServerLauncher(root);
  warmLauncher?.warm();
  const { runLocal, timeBasedExecutionName } = await import('../runtime/run-local.js');
  const executionName = timeBasedExecutionName(spec.name);
  const bucketDir = path.join(lakeRoot, LOCAL_LAKE_BUCKET);
  const inLake = path.relative(bucketDir, path.resolve(file));
  let key: string;
  let dropFolder: string | undefined;
  if (!inLake.startsWith('..') && !path.isAbsolute(inLake) && !inLake.startsWith(`incoming${path.sep}`)) {
    // A file of the lake itself (an original archived under raw/): run it where it is, a re-run of that object.
    key = inLake.split(path.sep).join('/');
  } else {
    // The file goes where an upload would: the pipeline's drop zone in the lake, and nowhere else. Each run drops it
    // into a folder of its own, so two runs of files with one name never archive or delete the file the other reads.
    key = `${spec.source.prefix}${executionName}/${path.basename(file)}`;
    const target = path.resolve(bucketDir, key);
    const dropZone = path.resolve(bucketDir, spec.source.prefix);
    const problem = objectKeyProblem(key);
    if (problem !== undefined || !target.startsWith(dropZone + path.sep)) {
      process.stderr.write(`sluice run: refusing to write ${target}: the key "${key}" ${problem ?? 'resolves outside the drop zone'}\n`);
      void warmLauncher?.release();
      return 2;
    }
    dropFolder = path.dirname(target);
    await mkdir(dropFolder, { recursive: true });
    await copyFile(file, target);
  }

  const json = values.json === true;
  if (!json) process.stdout.write(`sluice: running pipeline "${spec.name}" on ${file}\n`);
  const summary: RunSummary = await runLocal({
    projectRoot: root,
    spec,
    specs,
    lakeRoot,
    input: { pipeline: spec.name, key },
    executionName,
    ...(warmLauncher ? { warmLauncher } : {}),
    ...(json ? {} : { onStep: (step) => { if (step.status !== 'RUNNING') process.stdout.write(`${formatStep(step)}\n`); } }),
    ...(json ? {} : { onProgress: (line: string) => process.stdout.write(`    ${line}\n`) }),
  });
  if (dropFolder !== undefined) {
    // The run's own drop folder is empty once its file is archived (a failed run keeps the file, and so the folder).
    await rmdir(dropFolder).catch(() => undefined);
  }
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}

async function redriveCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { lake: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const runId = positionals[0];
  if (!runId || positionals.length > 1) {
    process.stderr.write(`sluice resume: give one RUN_ID (the run id a failed run printed)\n\n${USAGE}`);
    return 2;
  }
  const [{ fixedSpecCatalog, folderSpecCatalog }, { loadPipelineSpec }, { readExecutionRecord }, { redriveLocal }] = await Promise.all([
    import('../../core/pipelines/spec-catalog.js'),
    import('../../core/spec/load-spec.js'),
    import('../runtime/failure-recorder.js'),
    import('../runtime/redrive.js'),
  ]);
  const root = projectRoot();
  const pipelinesDir = path.join(root, 'pipelines');
  const lakeRoot = path.resolve(values.lake ?? 'sluice-lake');
  // The run's own spec, read again (a fix made since is what the redrive runs), wherever it lives.
  const specFile = (await readExecutionRecord(lakeRoot, runId))?.specFile;
  const builtIn = specFile === undefined || path.dirname(path.dirname(specFile)) === pipelinesDir;
  const specs = builtIn ? folderSpecCatalog(pipelinesDir) : fixedSpecCatalog([loadPipelineSpec(specFile, pipelinesDir)]);
  const json = values.json === true;
  if (!json) process.stdout.write(`sluice: resuming run ${runId} from the state that failed\n`);
  const summary: RunSummary = await redriveLocal({
    projectRoot: root,
    specs,
    lakeRoot,
    runId,
    ...(json ? {} : { onStep: (step) => { if (step.status !== 'RUNNING') process.stdout.write(`${formatStep(step)}\n`); } }),
  });
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}
