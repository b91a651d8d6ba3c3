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
  /** A finished run's notification as the local runtime records it (the cloud publishes it to SNS). */
  notificationKey: (pipeline: string, runId: string) => `notifications/${pipeline}/${runId}.json`,
  /** The scoring drop zone of a pipeline: a file here starts the scoring workflow (never an output prefix). */
  scoringDropPrefix: (pipeline: string) => `score/${pipeline}/`,
  /** The table of scoring runs' valid rows (`<pipeline>_scoring_input`), one `score_run=<id>` partition per run. */
  scoringInputPrefix: (pipeline: string) => `scoring/${pipeline}/input/`,
  /** The valid rows of one scoring file (contract columns and `source_row`), one Parquet file. */
  scoringInputKey: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/input/score_run=${scoreRunId}/part-00000.parquet`,
  /** One scoring run's working folder: quarantine, transform input and output, manifest. */
  scoringRunPrefix: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/runs/${scoreRunId}/`,
  /** The scoring file's rows that broke the contract, with the rule each broke (the ingest's quarantine format). */
  scoringQuarantineKey: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/runs/${scoreRunId}/quarantine.parquet`,
  /** The scoring query's UNLOAD target: the model's input, in the format its container reads for inference. */
  transformInputPrefix: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/runs/${scoreRunId}/transform-input/`,
  /** Where Batch Transform (or the local batch scorer) writes `<input file>.out` per input file. */
  transformOutputPrefix: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/runs/${scoreRunId}/transform-output/`,
  /**
   * One training run's champion/challenger transforms (core/evaluation/evaluation-jobs.ts): `transform-input/` and
   * `transform-output/<role>/`, under scoring/ where the model role already reads and writes transforms.
   */
  evaluationRunPrefix: (pipeline: string, runId: string) => `scoring/${pipeline}/evaluations/${runId}/`,
  /** The scoring run's manifest: what went in, how many rows were scored, with which model, where they are. */
  scoringManifestKey: (pipeline: string, scoreRunId: string) => `scoring/${pipeline}/runs/${scoreRunId}/manifest.json`,
  /** Root of a pipeline's predictions table (`<pipeline>_predictions`, partitioned by score_date). */
  predictionsPrefix: (pipeline: string) => `predictions/${pipeline}/`,
  /** One score date's partition folder of the predictions table. */
  predictionsPartitionPrefix: (pipeline: string, scoreDate: string) => `predictions/${pipeline}/score_date=${scoreDate}/`,
  /** One scoring run's predictions: one file in its date's partition (no nested folder, which a partition would not read). */
  predictionsKey: (pipeline: string, scoreDate: string, scoreRunId: string) => `predictions/${pipeline}/score_date=${scoreDate}/part-${scoreRunId}.parquet`,
};
