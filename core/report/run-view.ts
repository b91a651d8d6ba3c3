import { countFeatureRows } from '../features/feature-rows.js';
import type { RunManifest } from '../manifest/run-manifest.js';
import type { ModelVersion } from '../ports/model-registry.js';
import type { ObjectStore } from '../ports/object-store.js';
import { numberField, record, stringField } from './html.js';
import { insightsKeyOf } from './model-insights.js';
import type { ModelInsights } from './model-insights.js';
import type { StepOutcome, WorkflowDefinition } from './workflow-graph.js';

/** Rows shown of a quarantine file: enough to see which rules break and how. */
export const QUARANTINE_SAMPLE_ROWS = 20;

/** A quarantine file of the run: its rejected rows' count and the first of them, with the rule each broke. */
export interface QuarantineSample {
  readonly key: string;
  readonly total: number;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** A feature set's shape. */
export interface FeatureSetShape {
  readonly name: string;
  readonly location: string;
  readonly files: number;
  /** The files' total size, from the listing. */
  readonly bytes: number;
  /** Rows in the set; absent when its files were listed, not read (see {@link ReportSources.featureFiles}). */
  readonly rows?: number;
  /** Column names, label first (Parquet); empty for a CSV set, which has no header, or a set listed only. */
  readonly columns: readonly string[];
}

/** A registered version as the versions-over-time plot shows it. */
export interface VersionPoint {
  readonly version: number;
  readonly status: string;
  readonly createdAt: string;
  readonly runId: string;
  /** The gate metric's value in the version's own metrics. */
  readonly metric?: number;
  readonly production: boolean;
  readonly decision?: string;
}

/** The model a run trained, with what the gate decided and what plots it. */
export interface ModelView {
  readonly pipeline: string;
  readonly version?: number;
  readonly status?: string;
  readonly algorithm?: string;
  readonly modelArtifact?: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** The candidate's metrics as registered (`train:*`, `validation:*`, `evaluation:*`). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The model's own evaluation on its validation set (kind, counts, confusion matrix, per-class numbers). */
  readonly evaluation?: Readonly<Record<string, unknown>>;
  readonly production?: { readonly version: number; readonly metrics: Readonly<Record<string, number>> };
  readonly decision?: { readonly promote: boolean; readonly metric: string; readonly candidate?: number; readonly production?: number; readonly reasons: readonly string[] };
  readonly insights?: ModelInsights;
  /** Why this runtime has no feature importance or tuning plot for the model (see {@link ReportSources.plotsUnavailable}). */
  readonly plotsUnavailable?: string;
  readonly versions: readonly VersionPoint[];
}

/** The serving endpoint, as the console shows it. */
export interface EndpointView {
  readonly name: string;
  readonly version?: number;
  readonly since?: string;
  readonly url?: string;
  readonly live: boolean;
  /** `POST /invocations` requests answered since the server started, with when it started counting. */
  readonly requests?: { readonly answered: number; readonly since: string; readonly updatedAt: string };
}

/** Everything a run page and a run report show. */
export interface RunView {
  readonly manifest: RunManifest;
  readonly steps: readonly StepOutcome[];
  readonly definition?: WorkflowDefinition;
  readonly quarantine: readonly QuarantineSample[];
  readonly featureSets: readonly FeatureSetShape[];
  readonly model?: ModelView;
}

/**
 * Where a report finds what the lake alone does not hold. Locally: the ASL, the step tracker's records and the
 * registry's files; in the cloud a source that is absent leaves its section out.
 */
export interface ReportSources {
  /** Chart.js's UMD bundle, inlined in the report so it draws with no network. */
  chartLibrary(): Promise<string>;
  /** The resolved workflow definition, for the graph. */
  workflow?(): Promise<WorkflowDefinition | undefined>;
  /** How each state of the run went so far. */
  steps?(pipeline: string, runId: string): Promise<readonly StepOutcome[]>;
  /** The pipeline's registered versions, oldest first. */
  versions?(pipeline: string): Promise<readonly ModelVersion[]>;
  /**
   * How the feature sets' shape is found: `read` (the default) copies each file and reads its rows and Parquet
   * columns; `list` takes files and bytes from one listing per set and reads no file, for a runtime where the sets
   * can be gigabytes and the report is written by a small function (the cloud's RecordRun: 256 MB, 30 s).
   */
  featureFiles?: 'read' | 'list';
  /**
   * Set when this runtime cannot record a model's feature importance and tuning trials: the reason is shown in place
   * of those plots. insights.json is read all the same (the cloud's holds the curves and residuals, issue 14).
   */
  plotsUnavailable?: string;
}

/** The lake a view is read from; `workDir` receives S3 objects read as files (Parquet footers). */
export interface LakeReader {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly workDir: string;
}

/** Splits `s3://bucket/key` (the lake's URIs in manifests) into its bucket and key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return match ? { bucket: match[1] ?? '', key: match[2] ?? '' } : undefined;
}

/** Builds a run's view: the manifest and what its keys point to in the lake. Reads only. */
export async function loadRunView(manifest: RunManifest, lake: LakeReader, sources: Omit<ReportSources, 'chartLibrary'> = {}): Promise<RunView> {
  const [definition, steps, quarantine, featureSets, model] = await Promise.all([
    sources.workflow?.(),
    sources.steps?.(manifest.pipeline, manifest.runId) ?? Promise.resolve([]),
    quarantineSamples(manifest, lake),
    featureShapes(manifest, lake, sources.featureFiles ?? 'read'),
    modelView(manifest, lake, sources),
  ]);
  return { manifest, steps, ...(definition ? { definition } : {}), quarantine, featureSets, ...(model ? { model } : {}) };
}

/** Reads a model's insights beside its artifact, or undefined when none was recorded. */
export async function readInsights(lake: LakeReader, modelArtifact: string): Promise<ModelInsights | undefined> {
  const ref = parseS3Uri(modelArtifact);
  if (!ref) return undefined;
  const text = await lake.store.getText({ bucket: ref.bucket, key: insightsKeyOf(ref.key) });
  return text === undefined ? undefined : (JSON.parse(text) as ModelInsights);
}

/** The versions-over-time points of a pipeline's registry: production is the newest approved version. */
export function versionPoints(versions: readonly ModelVersion[], metric: string | undefined): VersionPoint[] {
  const production = versions.filter((v) => v.status === 'Approved').at(-1)?.version;
  return versions.map((v) => {
    const value = metric === undefined ? undefined : (v.metrics[metric] ?? v.metrics[`evaluation:${metric.replace(/^validation:/, '')}`]);
    return {
      version: v.version,
      status: v.status,
      createdAt: v.createdAt,
      runId: v.runId,
      ...(value === undefined ? {} : { metric: value }),
      production: v.version === production,
      ...(v.lineage['decision'] ? { decision: v.lineage['decision'] } : {}),
    };
  });
}

/** The model section of a manifest (`stages.training`, `stages.evaluation`), or undefined when the run trained none. */
export async function modelView(manifest: RunManifest, lake: LakeReader, sources: Pick<ReportSources, 'versions' | 'plotsUnavailable'> = {}): Promise<ModelView | undefined> {
  const training = record(manifest.stages['training']);
  const evaluation = record(manifest.stages['evaluation']);
  if (!training && !evaluation) return undefined;
  const candidate = record(evaluation?.['candidate']);
  const decision = record(evaluation?.['decision']);
  const production = record(evaluation?.['production']);
  const modelArtifact = stringField(candidate?.['modelArtifact']) ?? stringField(training?.['modelArtifact']);
  const metric = stringField(decision?.['metric']);
  const [insights, versions] = await Promise.all([
    modelArtifact ? readInsights(lake, modelArtifact).catch(() => undefined) : Promise.resolve(undefined),
    sources.versions?.(manifest.pipeline) ?? Promise.resolve([]),
  ]);
  const productionVersion = numberField(production?.['version']);
  const version = numberField(candidate?.['version']);
  // The manifest holds the status at EvaluateModel; the registry's is the current one (promoted, or rejected later).
  const status = (version === undefined ? undefined : versions.find((v) => v.version === version)?.status) ?? stringField(candidate?.['status']);
  const algorithm = stringField(candidate?.['algorithm']);
  const evaluationRecord = record(candidate?.['evaluation']) ?? record(training?.['evaluation']);
  return {
    pipeline: manifest.pipeline,
    ...(version === undefined ? {} : { version }),
    ...(status === undefined ? {} : { status }),
    ...(algorithm === undefined ? {} : { algorithm }),
    ...(modelArtifact === undefined ? {} : { modelArtifact }),
    hyperparameters: stringRecord(training?.['hyperparameters']),
    metrics: numberRecord(candidate?.['metrics'] ?? training?.['metrics']),
    ...(evaluationRecord ? { evaluation: evaluationRecord } : {}),
    ...(productionVersion === undefined ? {} : { production: { version: productionVersion, metrics: numberRecord(production?.['metrics']) } }),
    ...(decision && metric !== undefined
      ? {
          decision: {
            promote: decision['promote'] === true,
            metric,
            ...optionalNumber('candidate', decision['candidate']),
            ...optionalNumber('production', decision['production']),
            reasons: Array.isArray(decision['reasons']) ? decision['reasons'].map(String) : [],
          },
        }
      : {}),
    ...(insights ? { insights } : {}),
    ...(sources.plotsUnavailable === undefined ? {} : { plotsUnavailable: sources.plotsUnavailable }),
    versions: versionPoints(versions, metric),
  };
}

async function quarantineSamples(manifest: RunManifest, lake: LakeReader): Promise<QuarantineSample[]> {
  const keys = manifest.ingest.flatMap((f) => (f.quarantineKey ? [f.quarantineKey] : []));
  const samples: QuarantineSample[] = [];
  for (const key of keys) {
    const copy = await lake.store.localCopy({ bucket: lake.bucket, key }, lake.workDir).catch(() => undefined);
    if (!copy) continue;
    try {
      const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
      const file = await asyncBufferFromFile(copy.path);
      const metadata = await parquetMetadataAsync(file);
      const columns = metadata.schema.slice(1).map((e) => e.name);
      const rows = (await parquetReadObjects({ file, metadata, rowEnd: QUARANTINE_SAMPLE_ROWS })) as Record<string, unknown>[];
      samples.push({ key, total: Number(metadata.num_rows), columns, rows: rows.map((r) => columns.map((c) => plain(r[c]))) });
    } finally {
      await copy.release();
    }
  }
  return samples;
}

async function featureShapes(manifest: RunManifest, lake: LakeReader, mode: 'read' | 'list'): Promise<FeatureSetShape[]> {
  const features = record(manifest.stages['features']);
  const shapes: FeatureSetShape[] = [];
  for (const name of ['train', 'validation']) {
    const location = stringField(record(features?.[name])?.['location']);
    const ref = location ? parseS3Uri(location) : undefined;
    if (!location || !ref) continue;
    const files = (await lake.store.list(ref.bucket, ref.key).catch(() => [])).filter((o) => !o.key.endsWith('/') && !o.key.split('/').at(-1)?.startsWith('.'));
    const bytes = files.reduce((sum, o) => sum + o.size, 0);
    if (mode === 'list') {
      shapes.push({ name, location, files: files.length, bytes, columns: [] });
      continue;
    }
    let rows = 0;
    let columns: string[] = [];
    for (const object of files) {
      const copy = await lake.store.localCopy(object, lake.workDir);
      try {
        rows += await countFeatureRows(copy.path);
        if (columns.length === 0 && object.key.endsWith('.parquet')) {
          const { asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet');
          columns = (await parquetMetadataAsync(await asyncBufferFromFile(copy.path))).schema.slice(1).map((e) => e.name);
        }
      } finally {
        await copy.release();
      }
    }
    shapes.push({ name, location, files: files.length, bytes, rows, columns });
  }
  return shapes;
}

// Parquet values as JSON can hold them: BIGINT arrives as bigint, timestamps as Date.
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

function numberRecord(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) out[k] = String(v);
  return out;
}

function optionalNumber<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  return typeof value === 'number' ? ({ [key]: value } as Record<K, number>) : {};
}
