/**
 * Where everything lives in the lake (one bucket per stage). Output prefixes never overlap the drop zone
 * (`incoming/`), so a run never triggers another.
 */
export const lakeLayout = {
  /** The original file, kept unchanged. */
  rawKey: (pipeline: string, ingestDate: string, runId: string, fileName: string) =>
    `raw/${pipeline}/ingest_date=${ingestDate}/${runId}/${fileName}`,
  /** The parts of a raw key, or undefined when `key` is not an archived original of `pipeline`. */
  parseRawKey: (pipeline: string, key: string): { ingestDate: string; runId: string; fileName: string } | undefined => {
    const prefix = `raw/${pipeline}/ingest_date=`;
    if (!key.startsWith(prefix)) return undefined;
    const [ingestDate, runId, ...rest] = key.slice(prefix.length).split('/');
    if (!ingestDate || !runId || rest.length !== 1 || !rest[0]) return undefined;
    return { ingestDate, runId, fileName: rest[0] };
  },
  /** Root of a pipeline's curated, partitioned Parquet table. */
  curatedPrefix: (pipeline: string) => `curated/${pipeline}/`,
  /** Root of a pipeline's quarantine files. */
  quarantinePrefix: (pipeline: string) => `quarantine/${pipeline}/`,
  /** Rejected rows of one input file, with the rule each broke. */
  quarantineKey: (pipeline: string, ingestDate: string, runId: string, sourceHash: string) =>
    `quarantine/${pipeline}/ingest_date=${ingestDate}/${runId}-${sourceHash}.parquet`,
  /** Where ingests stage their output and leave their markers; no reader looks here (see `source-commit.ts`). */
  ingestStagingPrefix: (pipeline: string) => `ingest/${pipeline}/staging/`,
  /** One run's staging folder for one source. */
  stagingPrefix: (pipeline: string, runId: string, sourceHash: string) => `ingest/${pipeline}/staging/${runId}-${sourceHash}/`,
  /** Ending of a pending-ingest marker's key. */
  PENDING_SUFFIX: '.pending.json',
  /** Ending of a commit record's key. */
  COMMIT_SUFFIX: '.commit.json',
  /** Marker: a run has started writing a source's output. */
  pendingKey: (pipeline: string, runId: string, sourceHash: string) => `ingest/${pipeline}/staging/${runId}-${sourceHash}.pending.json`,
  /** Commit record: the run's output for the source is decided, and is being (or was) moved into place. */
  commitKey: (pipeline: string, runId: string, sourceHash: string) => `ingest/${pipeline}/staging/${runId}-${sourceHash}.commit.json`,
  /** What the lake remembers of a source's content: the run and object that last ingested it. */
  sourceRecordKey: (pipeline: string, sourceHash: string) => `ingest/${pipeline}/sources/${sourceHash}.json`,
  /** Train and validation sets of a run. */
  featuresPrefix: (pipeline: string, runId: string) => `features/${pipeline}/${runId}/`,
  /** Model artifacts of a run's jobs. */
  modelsPrefix: (pipeline: string) => `models/${pipeline}/`,
  /** The run manifest: what went in, what came out, every job id and metric. */
  runManifestKey: (pipeline: string, runId: string) => `runs/${pipeline}/${runId}.json`,
};
