import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReportSources } from '../../core/report/run-view.js';
import type { WorkflowDefinition } from '../../core/report/workflow-graph.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import type { FolderObjectStore } from '../adapters/folder-object-store.js';
import { loadDefinition } from '../runtime/resolve-definition.js';
import { readStepJournal } from './step-journal.js';

/**
 * Chart.js's UMD bundle (one file, no dependency; what the pages load as a plain script). The package's `exports`
 * name no subpath for it, so it is found beside the CommonJS entry, in the same `dist/` folder.
 */
export function chartLibraryPath(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

let chartSource: Promise<string> | undefined;

/** Chart.js's source, read once per process. */
export function readChartLibrary(): Promise<string> {
  chartSource ??= readFile(chartLibraryPath(), 'utf8');
  return chartSource;
}

/** What the local run report and the console read beside the lake: the ASL, the step journals, the registry. */
export function localReportSources(options: { lakeRoot: string; store: FolderObjectStore; bucket: string; projectRoot: string }): Required<Omit<ReportSources, 'featureFiles' | 'plotsUnavailable'>> {
  const registry = new LocalRegistry(options.store, options.bucket);
  let definition: WorkflowDefinition | undefined;
  return {
    chartLibrary: readChartLibrary,
    workflow: async () => {
      // The definition as the local runner runs it: serverless variables resolved (local/runtime/resolve-definition.ts).
      definition ??= loadDefinition(options.projectRoot) as unknown as WorkflowDefinition;
      return definition;
    },
    steps: async (_pipeline, runId) => (await readStepJournal(options.lakeRoot, runId))?.steps ?? [],
    versions: (pipeline) => registry.versions(pipeline),
  };
}
