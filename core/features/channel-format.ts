import type { UnloadFormat } from './feature-sql.js';

/** An algorithm whose channels Sluice writes. */
export type ChannelAlgorithm = 'xgboost' | 'blazingtext';

/** How an algorithm's training channels are written by the feature query and declared to SageMaker. */
export interface ChannelFormat {
  /** What UNLOAD writes. */
  unload: UnloadFormat;
  /** Channel.ContentType. */
  contentType: string;
  /** AlgorithmSpecification.TrainingInputMode. */
  inputMode: 'File' | 'Pipe';
  /** Channel.CompressionType: "used only in Pipe input mode. In File mode, leave this field unset" (API_Channel). */
  compression?: 'Gzip';
  /**
   * The one plain file each channel must be, below its `split=<s>/` folder: GetFeatureQueryState gunzips and
   * concatenates the query's parts into it (`core/features/channel-merge.ts`). Undefined: the parts are the channel.
   */
  singleFile?: string;
}

/**
 * The channel format of each algorithm: a per-algorithm choice.
 *
 * XGBoost 1.7-1: the container reads `text/csv`, `text/libsvm`, `application/x-parquet` and
 * `application/x-recordio-protobuf` in File mode, and all but libsvm in Pipe mode (aws/sagemaker-xgboost-container,
 * `data_utils.py` VALID_CONTENT_TYPES / VALID_PIPED_CONTENT_TYPES, `algorithm_mode/channel_validation.py`). Of those,
 * Athena's UNLOAD writes CSV (gzip, always) and Parquet (`format = 'PARQUET'`, `compression = 'SNAPPY'`,
 * https://docs.aws.amazon.com/athena/latest/ug/unload.html). Parquet is the faster of the two: typed columns with no
 * text to parse, Snappy instead of gzip, and in File mode the container reads a channel folder with
 * `pyarrow.parquet.read_table` (multi-threaded) into `DMatrix(data[:, 1:], label=data[:, 0])`: label first, a NULL
 * becomes NaN, XGBoost's missing value (`_get_parquet_dmatrix_file_mode`). Compression is inside the files, so the
 * channel declares none and uses File mode (gzip CSV needed Pipe mode, where SageMaker decompresses).
 *
 * BlazingText (supervised): "For supervised training with file mode, the training/validation file should contain a
 * training sentence per line along with the labels", "the algorithm expects a single preprocessed text file" per
 * channel, and the channel's content type is `text/plain` (SageMaker developer guide, BlazingText algorithm,
 * "Input/Output Interface for the BlazingText Algorithm" and "Training and validation data format",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html; "Common parameters for built-in algorithms":
 * BlazingText's training input is File or Pipe mode, "Text file (one sentence per line with space-separated tokens)",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/common-info-all-im-models.html). Nothing says it reads gzip or
 * several files, and Athena's TEXTFILE UNLOAD always gzips and writes several files in parallel
 * (https://docs.aws.amazon.com/athena/latest/ug/unload.html): so the query writes BlazingText's lines as one-column
 * TEXTFILE (`lines`, core/text/channel-line.ts) and each channel is then merged into one plain `data.txt`, File mode.
 */
export const CHANNEL_FORMATS: Readonly<Record<ChannelAlgorithm, ChannelFormat>> = {
  xgboost: { unload: { format: 'PARQUET', compression: 'SNAPPY' }, contentType: 'application/x-parquet', inputMode: 'File' },
  blazingtext: { unload: { format: 'TEXTFILE', lines: 'blazingtext' }, contentType: 'text/plain', inputMode: 'File', singleFile: 'data.txt' },
};

/** The channel format of `algorithm`. */
export function channelFormat(algorithm: ChannelAlgorithm): ChannelFormat {
  return CHANNEL_FORMATS[algorithm];
}
