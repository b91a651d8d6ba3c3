/**
 * Channels read once and held in shared memory, for jobs that train many times on the same data (a tuning job's
 * trials). Typed arrays backed by a SharedArrayBuffer cross into a worker thread without a copy (structured clone
 * shares the buffer), so every trial's worker builds its DMatrix from the same bytes instead of re-reading and
 * re-parsing the files (about 3 s per trial at 1M rows). A run's single training job reads through it too, in the
 * run's thread where DuckDB is loaded already, so its worker loads no Parquet reader.
 *
 * `data.ts` reads them straight into shared memory (`readChannel(paths, { shared: true })`, CSV or Parquet).
 */
import { readChannel, readChannels } from './data.js';
import type { PreloadedChannels } from './train-core.js';

/** What to read. */
export interface SharedChannelsRequest {
  readonly trainFiles: readonly string[];
  /** May be empty: no validation channel. */
  readonly validationFiles: readonly string[];
  /** `csv_weights=1`: the column after the label is the instance weight. */
  readonly weightColumn: boolean;
}

/**
 * Reads the train and validation channels once into SharedArrayBuffer-backed arrays.
 * @throws CsvFormatError, EmptyChannelError as `readChannel` does
 */
export async function readSharedChannels(request: SharedChannelsRequest): Promise<PreloadedChannels> {
  const options = { weightColumn: request.weightColumn, shared: true };
  if (request.validationFiles.length === 0) return { train: await readChannel(request.trainFiles, options), validation: undefined };
  const [train, validation] = await readChannels([request.trainFiles, request.validationFiles], options);
  if (train === undefined || validation === undefined) throw new Error('readChannels returned fewer channels than it was given');
  return { train, validation };
}
