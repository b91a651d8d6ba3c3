/**
 * Reads a training channel as SageMaker XGBoost 1.7-1 reads it, in the format its files hold: Parquet
 * (`application/x-parquet`, what the feature query writes; `parquet-channel.ts`) or CSV (`text/csv`, users' own files).
 * {@link readChannel} is the entry point; it tells the two apart by the files' first bytes.
 *
 * CSV is read the way SageMaker XGBoost reads `text/csv`: no header, the label in the first column,
 * every field numeric, an empty field is a missing value (NaN). With `csv_weights=1` the second column is the
 * instance weight. A channel is a list of files and/or folders (a folder stands for its part files, read in name
 * order, hidden files skipped); gzip files (`.gz` or gzip magic bytes) are decompressed on the fly.
 *
 * Parsing streams the bytes (one file is never held whole in memory) into a row-major Float32Array. Numbers are
 * read as doubles and rounded to float32, as `numpy.loadtxt(...).astype(numpy.float32)` does.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CsvFormatError, EmptyChannelError } from './errors.js';

/** A channel parsed into dense arrays. */
export interface CsvDataset {
  /** Row-major features, `nRows * nCols` values, NaN where a field was empty. */
  readonly features: Float32Array;
  readonly labels: Float32Array;
  /** Instance weights, when read with `weightColumn`. */
  readonly weights?: Float32Array | undefined;
  readonly nRows: number;
  /** Feature columns (label and weight columns excluded). */
  readonly nCols: number;
  /** The files read, in order. */
  readonly files: readonly string[];
  /** The columns' names, label first, when the files name them (Parquet); a CSV channel has no header. */
  readonly columns?: readonly string[] | undefined;
}

/** How to read the channel. */
export interface ReadCsvOptions {
  /** `csv_weights=1`: the column after the label holds the instance weight (CSV only, as in the container). */
  readonly weightColumn?: boolean;
  /**
   * Back the dataset's arrays by SharedArrayBuffer, so that one read can be handed to many worker threads (a tuning
   * job's trials) without a copy per thread.
   */
  readonly shared?: boolean;
}

/** The format of a channel's files. */
export type ChannelFileFormat = 'parquet' | 'csv';

/** True when the file starts with Parquet's magic bytes `PAR1`. */
export function isParquetHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}

/** The format of `files`, from their first bytes (`PAR1` is Parquet); a channel mixing both is refused. */
export async function channelFileFormat(files: readonly string[]): Promise<ChannelFileFormat> {
  let parquet = 0;
  for (const file of files) if (isParquetHead(await head(file, 4))) parquet++;
  if (parquet > 0 && parquet < files.length) throw new CsvFormatError(`Channel ${files.join(', ')} mixes Parquet and CSV files; a channel has one content type`);
  return parquet > 0 ? 'parquet' : 'csv';
}

/**
 * Reads a channel (files and/or folders, as {@link listChannelFiles} expands them) in whatever format its files hold:
 * Parquet as the container reads `application/x-parquet` (label first, NULL as NaN, `csv_weights` not applied), CSV as
 * it reads `text/csv`. With `shared: true` the arrays are backed by SharedArrayBuffer.
 *
 * @example
 * const train = await readChannel(['/lake/features/churn/run-1/split=train/'], { shared: true });
 * // train.features: Float32Array of train.nRows * train.nCols values, row-major; train.labels: one per row
 * @throws CsvFormatError naming the file of the first bad value, ragged row or non-numeric column
 * @throws EmptyChannelError when the channel has no files or no rows
 */
export async function readChannel(paths: readonly string[], options: ReadCsvOptions = {}): Promise<CsvDataset> {
  const [dataset] = await readChannels([paths], options);
  if (dataset === undefined) throw new EmptyChannelError(`No files in channel ${paths.join(', ')}`);
  return dataset;
}

/**
 * Reads several channels as {@link readChannel} reads each (a training job's train and validation sets), the Parquet
 * ones in one DuckDB instance (parquet-channel.ts, `readParquetChannels`), so the sets cost one engine start between them.
 * @throws CsvFormatError, EmptyChannelError as {@link readChannel}, for the first channel that has the problem
 */
export async function readChannels(channels: readonly (readonly string[])[], options: ReadCsvOptions = {}): Promise<CsvDataset[]> {
  const listed: { paths: readonly string[]; files: string[]; format: ChannelFileFormat }[] = [];
  for (const paths of channels) {
    const files = await listChannelFiles(paths);
    if (files.length === 0) throw new EmptyChannelError(`No files in channel ${paths.join(', ')}`);
    listed.push({ paths, files, format: await channelFileFormat(files) });
  }
  const parquet = listed.filter((channel) => channel.format === 'parquet');
  // Loaded on a Parquet channel's first read: its SQL quoting pulls the spec schema (zod) in, about 0.15 s of loading
  // that a training worker handed its channels already read (train-core.ts imports this module) never needs.
  const parquetData =
    parquet.length === 0 ? [] : await (await import('./parquet-channel.js')).readParquetChannels(parquet.map((channel) => channel.files), { shared: options.shared === true });
  const read: CsvDataset[] = [];
  let nextParquet = 0;
  for (const { paths, files, format } of listed) {
    if (format === 'parquet') {
      const data = parquetData[nextParquet++];
      if (data === undefined) throw new EmptyChannelError(`No data rows in channel ${files.join(', ')}`);
      read.push({ features: data.features, labels: data.labels, weights: undefined, nRows: data.nRows, nCols: data.nCols, files, columns: data.columns });
      continue;
    }
    const dataset = await readCsvFiles(files, paths, options);
    read.push(options.shared === true ? toShared(dataset) : dataset);
  }
  return read;
}

/** Expands folders into their files (recursively, sorted by name, hidden files skipped); files are kept as given. */
export async function listChannelFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (cause) {
      throw new EmptyChannelError(`Channel path ${path} does not exist`, { cause });
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path, { withFileTypes: true }))
        .filter((entry) => !entry.name.startsWith('.'))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      files.push(...(await listChannelFiles(entries.map((entry) => join(path, entry.name)))));
    } else {
      files.push(path);
    }
  }
  return files;
}

async function readCsvFiles(files: readonly string[], paths: readonly string[], options: ReadCsvOptions): Promise<CsvDataset> {
  const sink = new RowSink(options.weightColumn === true, await plainTextBytes(files));
  for (const file of files) {
    await parseFile(file, sink);
  }
  if (sink.nRows === 0) throw new EmptyChannelError(`No data rows in channel ${paths.join(', ')}`);
  return sink.finish(files);
}

function toShared(dataset: CsvDataset): CsvDataset {
  const share = (array: Float32Array): Float32Array => {
    const copy = new Float32Array(new SharedArrayBuffer(array.length * Float32Array.BYTES_PER_ELEMENT));
    copy.set(array);
    return copy;
  };
  return { ...dataset, features: share(dataset.features), labels: share(dataset.labels), weights: dataset.weights === undefined ? undefined : share(dataset.weights) };
}

/** Parses CSV text held in memory (tests, small payloads); same rules as {@link readChannel}. */
export function parseCsvText(text: string, options: ReadCsvOptions & { source?: string } = {}): CsvDataset {
  const sink = new RowSink(options.weightColumn === true);
  const parser = new LineParser(options.source ?? '<text>', sink);
  parser.push(Buffer.from(text, 'utf8'));
  parser.end();
  if (sink.nRows === 0) throw new EmptyChannelError(`No data rows in ${options.source ?? 'the text'}`);
  return sink.finish([options.source ?? '<text>']);
}

/** Total size of the files when none is compressed (the text size is then known up front), else undefined. */
async function plainTextBytes(files: readonly string[]): Promise<number | undefined> {
  let total = 0;
  for (const file of files) {
    if (file.endsWith('.gz') || (await hasGzipMagic(file))) return undefined;
    total += (await stat(file)).size;
  }
  return total;
}

async function parseFile(file: string, sink: RowSink): Promise<void> {
  const parser = new LineParser(file, sink);
  let stream: Readable = createReadStream(file, { highWaterMark: 1 << 20 });
  if (file.endsWith('.gz') || (await hasGzipMagic(file))) {
    stream = stream.pipe(createGunzip());
  }
  for await (const chunk of stream) parser.push(chunk as Buffer);
  parser.end();
}

async function hasGzipMagic(file: string): Promise<boolean> {
  const bytes = await head(file, 2);
  return bytes.length === 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The first `count` bytes of a file (fewer when it is shorter). */
async function head(file: string, count: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(count);
    const { bytesRead } = await handle.read(bytes, 0, count, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** Splits byte chunks into lines (carrying a partial line over), and lines into numeric fields. */
class LineParser {
  private carry: Buffer | undefined;
  private line = 0;
  private readonly fields: number[] = [];

  public constructor(
    private readonly file: string,
    private readonly sink: RowSink,
  ) {}

  public push(chunk: Buffer): void {
    const buffer = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    let start = 0;
    let newline = buffer.indexOf(NEWLINE, start);
    while (newline !== -1) {
      this.parseLine(buffer, start, newline);
      start = newline + 1;
      newline = buffer.indexOf(NEWLINE, start);
    }
    this.carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
  }

  public end(): void {
    if (this.carry !== undefined) this.parseLine(this.carry, 0, this.carry.length);
    this.carry = undefined;
  }

  private parseLine(buffer: Buffer, start: number, end: number): void {
    this.line += 1;
    if (end > start && buffer[end - 1] === CR) end -= 1;
    // Blank lines (a trailing newline, an empty part file) are not rows.
    let blank = true;
    for (let i = start; i < end; i++) {
      const byte = buffer[i];
      if (byte !== SPACE && byte !== TAB) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    const fields = this.fields;
    fields.length = 0;
    let fieldStart = start;
    for (let i = start; i <= end; i++) {
      if (i === end || buffer[i] === COMMA) {
        fields.push(this.parseField(buffer, fieldStart, i, fields.length));
        fieldStart = i + 1;
      }
    }
    this.sink.addRow(fields, this.file, this.line, end - start + 1);
  }

  private parseField(buffer: Buffer, start: number, end: number, column: number): number {
    while (start < end && (buffer[start] === SPACE || buffer[start] === TAB)) start++;
    while (end > start && (buffer[end - 1] === SPACE || buffer[end - 1] === TAB)) end--;
    if (start === end) return Number.NaN;
    const fast = parseDecimal(buffer, start, end);
    if (fast !== undefined) return fast;
    const text = buffer.toString('utf8', start, end);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
    if (/^[+-]?nan$/i.test(text)) return Number.NaN;
    const hint = this.line === 1 && column === 0 ? ' (the CSV must have no header row)' : '';
    throw new CsvFormatError(
      `${this.file}:${this.line}: column ${column + 1} is not a number: "${text.slice(0, 80)}"${hint}. ` +
        'SageMaker XGBoost CSV input is numeric only, with the label in the first column and no header.',
    );
  }
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Clinger's fast path: a decimal with at most 15 significant digits and a power of ten within 10^±22 is
 * `mantissa * 10^e` (or `/ 10^-e`) with both operands exact, so one IEEE operation gives the correctly rounded
 * double, the same as `Number(text)`. Anything else returns undefined and goes the slow way.
 */
function parseDecimal(buffer: Buffer, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  const first = buffer[i];
  if (first === 0x2d || first === 0x2b) {
    negative = first === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  let byte = buffer[i];
  while (i < end && byte !== undefined && byte >= 0x30 && byte <= 0x39) {
    if (significant > 0 || byte !== 0x30) significant++;
    mantissa = mantissa * 10 + (byte - 0x30);
    digits++;
    byte = buffer[++i];
  }
  if (i < end && byte === 0x2e) {
    byte = buffer[++i];
    while (i < end && byte !== undefined && byte >= 0x30 && byte <= 0x39) {
      if (significant > 0 || byte !== 0x30) significant++;
      mantissa = mantissa * 10 + (byte - 0x30);
      digits++;
      scale--;
      byte = buffer[++i];
    }
  }
  if (digits === 0 || significant > 15) return undefined;
  if (i < end) {
    if (byte !== 0x65 && byte !== 0x45) return undefined;
    byte = buffer[++i];
    let exponentNegative = false;
    if (byte === 0x2d || byte === 0x2b) {
      exponentNegative = byte === 0x2d;
      byte = buffer[++i];
    }
    let exponent = 0;
    let exponentDigits = 0;
    while (i < end && byte !== undefined && byte >= 0x30 && byte <= 0x39) {
      exponent = exponent * 10 + (byte - 0x30);
      exponentDigits++;
      if (exponent > 400) return undefined;
      byte = buffer[++i];
    }
    if (exponentDigits === 0 || i < end) return undefined;
    scale += exponentNegative ? -exponent : exponent;
  }
  let value: number;
  if (mantissa === 0) value = 0;
  else if (scale >= 0 && scale <= 22) value = mantissa * (POW10[scale] ?? 1);
  else if (scale < 0 && scale >= -22) value = mantissa / (POW10[-scale] ?? 1);
  else return undefined;
  return negative ? -value : value;
}

/** Rows after which the text size, when known, is turned into a capacity estimate. */
const SAMPLE_ROWS = 1000;

/**
 * Accumulates rows into typed arrays and checks they all have the same width. When the channel's text size is
 * known, the arrays are sized once from the bytes per row of the first rows, so a large channel is not copied
 * over and over while growing nor copied again at the end (that kept peak memory at twice the data).
 */
class RowSink {
  public nRows = 0;
  private nCols = -1;
  private features = new Float32Array(0);
  private labels = new Float32Array(0);
  private weights: Float32Array | undefined;
  private firstRowAt = '';
  private bytesSeen = 0;

  public constructor(
    private readonly weightColumn: boolean,
    private readonly expectedBytes?: number | undefined,
  ) {}

  public addRow(fields: readonly number[], file: string, line: number, bytes = 0): void {
    const leading = this.weightColumn ? 2 : 1;
    const width = fields.length - leading;
    if (this.nCols === -1) {
      if (width < 1) {
        throw new CsvFormatError(
          `${file}:${line}: a row needs a label${this.weightColumn ? ', a weight' : ''} and at least one feature, ` +
            `found ${fields.length} column(s)`,
        );
      }
      this.nCols = width;
      this.firstRowAt = `${file}:${line}`;
      this.resize(SAMPLE_ROWS);
    } else if (width !== this.nCols) {
      throw new CsvFormatError(
        `${file}:${line}: expected ${this.nCols + leading} columns (as in ${this.firstRowAt}), found ${fields.length}`,
      );
    }
    const label = fields[0] ?? Number.NaN;
    if (Number.isNaN(label)) throw new CsvFormatError(`${file}:${line}: the label (column 1) is missing`);
    if (this.nRows === this.labels.length) this.resize(this.nextCapacity());
    this.labels[this.nRows] = label;
    if (this.weights !== undefined) {
      const weight = fields[1] ?? Number.NaN;
      if (Number.isNaN(weight)) throw new CsvFormatError(`${file}:${line}: the weight (column 2) is missing`);
      this.weights[this.nRows] = weight;
    }
    const offset = this.nRows * this.nCols;
    for (let j = 0; j < this.nCols; j++) this.features[offset + j] = fields[leading + j] ?? Number.NaN;
    this.nRows += 1;
    this.bytesSeen += bytes;
  }

  public finish(files: readonly string[]): CsvDataset {
    // Nearly full: hand out views rather than copying the whole channel once more.
    const fit = <T extends Float32Array>(array: T, length: number): Float32Array =>
      length >= array.length * 0.9 ? array.subarray(0, length) : array.slice(0, length);
    return {
      features: fit(this.features, this.nRows * this.nCols),
      labels: fit(this.labels, this.nRows),
      weights: this.weights === undefined ? undefined : fit(this.weights, this.nRows),
      nRows: this.nRows,
      nCols: this.nCols,
      files,
    };
  }

  private nextCapacity(): number {
    const current = this.labels.length;
    if (current === SAMPLE_ROWS && this.expectedBytes !== undefined && this.bytesSeen > 0) {
      const estimate = Math.ceil((this.expectedBytes / (this.bytesSeen / this.nRows)) * 1.02) + 16;
      if (estimate > current) return estimate;
    }
    // Past the estimate (or without one): grow by half, which wastes less than doubling.
    return Math.ceil(current * 1.5);
  }

  private resize(rows: number): void {
    const features = new Float32Array(rows * this.nCols);
    features.set(this.features);
    this.features = features;
    const labels = new Float32Array(rows);
    labels.set(this.labels);
    this.labels = labels;
    if (this.weightColumn) {
      const weights = new Float32Array(rows);
      if (this.weights !== undefined) weights.set(this.weights);
      this.weights = weights;
    }
  }
}
