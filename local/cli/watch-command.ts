import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../core/errors.js';
import { LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { projectRoot } from '../runtime/project-root.js';

/** Usage lines of `sluice watch`, for the command's own errors. */
const WATCH_USAGE = 'Usage: sluice watch [--lake DIR] [--pipeline NAME|PATH]\n';

/**
 * `sluice watch [--lake DIR] [--pipeline NAME|PATH]`: watches the drop zones of the lake (every built-in pipeline's, or
 * the one given: `incoming/<pipeline>/` for training, `score/<pipeline>/` for batch scoring, a scoring run per file) and
 * runs each burst of training files as one run, with the cloud's coalescing window
 * (docs/operations-coalescing.md). The files already in a drop zone when it starts are its first burst. Foreground:
 * Ctrl-C stops taking files and waits for the run in progress (a second Ctrl-C leaves at once, the run unfinished, as a
 * killed `sluice run` would). Returns the exit code.
 */
export async function watchCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { lake: { type: 'string' }, pipeline: { type: 'string' } } });
  if (positionals.length > 0) {
    process.stderr.write(`sluice watch: unexpected argument "${positionals[0] ?? ''}"\n${WATCH_USAGE}`);
    return 2;
  }
  const [{ fixedSpecCatalog, folderSpecCatalog }, { loadPipelineSpec }, { DropZoneWatcher }, { localIngestRunner, localScoringRunner }, { formatSummary }] = await Promise.all([
    import('../../core/pipelines/spec-catalog.js'),
    import('../../core/spec/load-spec.js'),
    import('../runtime/drop-zone-watcher.js'),
    import('../runtime/watch-runs.js'),
    import('./format.js'),
  ]);
  const root = projectRoot();
  const pipelinesDir = path.join(root, 'pipelines');
  const lakeRoot = path.resolve(values.lake ?? 'sluice-lake');
  const builtIns = folderSpecCatalog(pipelinesDir);
  let specs = builtIns;
  let watched = builtIns.all();
  if (values.pipeline !== undefined) {
    const spec = loadPipelineSpec(values.pipeline, pipelinesDir);
    const builtIn = path.dirname(spec.file) === path.join(pipelinesDir, spec.name);
    // A spec of one's own is the only pipeline of its runs, as in `sluice run`.
    specs = builtIn ? builtIns : fixedSpecCatalog([spec]);
    watched = [spec];
  }
  if (watched.length === 0) {
    process.stderr.write(`sluice watch: no pipeline to watch under ${pipelinesDir}\n`);
    return 2;
  }

  const out = (line: string): void => {
    process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };
  const watcher = new DropZoneWatcher({
    lakeRoot,
    specs: watched,
    run: localIngestRunner({ projectRoot: root, specs, lakeRoot, onSummary: (summary) => process.stdout.write(formatSummary(summary)) }),
    score: localScoringRunner({ projectRoot: root, specs, lakeRoot }),
  });
  watcher.on('ignored', ({ key, reason }) => out(`ignoring ${key}: ${reason}`));
  watcher.on('ready', ({ key, size }) => out(`file ${key} (${size} bytes) is complete: it joins the next run`));
  const what = (kind: string): string => (kind === 'score' ? 'scoring' : 'run');
  watcher.on('run-started', (batch) => out(`starting ${what(batch.kind)} of ${batch.pipeline} on ${batch.keys.length} file(s)`));
  watcher.on('run-finished', (batch, outcome) => out(`${what(batch.kind)} of ${batch.pipeline} ${outcome.status}: ${outcome.detail}`));
  watcher.on('error', (error) => out(`error: ${describeError(error).message} (still watching)`));

  for (const [kind, pipeline, prefix] of watcher.zones()) out(`watching ${path.join(lakeRoot, LOCAL_LAKE_BUCKET, prefix)} (${kind}, ${pipeline})`);
  out('a burst of files starts one run once no file has come for the quiet period, or 5 min after its first file; Ctrl-C stops');
  watcher.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  out('stopping: waiting for the run in progress (Ctrl-C again to leave now)');
  const leaveNow = (): void => process.exit(130);
  process.once('SIGINT', leaveNow);
  await watcher.stop();
  process.removeListener('SIGINT', leaveNow);
  out('stopped');
  return 0;
}
