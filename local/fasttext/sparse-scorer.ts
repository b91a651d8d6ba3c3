/**
 * Scores texts with a fastText supervised `model.bin` by reading only the rows of the input matrix the texts touch,
 * instead of loading the whole model. Why: BlazingText's default 2,000,000 buckets make a 403 MB `model.bin`, and
 * `fasttext predict-prob` spends about 3 s zero-filling and reading all of it (measured: 1.1 s user + 1.8 s system
 * for an empty input) before it scores a single line; a validation set touches a few tens of thousands of rows.
 *
 * What it reproduces (fastText 0.9.2, facebookresearch/fastText src/): the file layout (`FastText::saveModel`: magic
 * and version int32, `Args::save`, `Dictionary::save` with `pruneidx_size_`, the `quant_input` byte, the input
 * `DenseMatrix` as int64 rows, int64 cols and row-major float32, the `qout` byte, the output matrix); tokenising
 * (`Dictionary::readWord`: words split on ' ', \n, \r, \t, \v, \f, \0, a line ends with the `</s>` word);
 * `Dictionary::getLine` (in-vocabulary words by id, every word's FNV-1a hash over its bytes read as signed chars,
 * OOV words starting with the label prefix skipped); `addWordNgrams` (uint64 `h * 116049371 + hash` over the int32
 * hashes, `% bucket`, `nwords + id` unless the dictionary is pruned); `Model::computeHidden` (rows added in order, then
 * scaled by `1 / count`) and `SoftmaxLoss::computeOutput`, in float32 as fastText computes them; labels ranked by
 * `log(p + 1e-5)` as `Loss::findKBest` does. The integration test checks the answers against `fasttext predict-prob`.
 *
 * Only the models Sluice's trainer writes are read here: supervised, softmax loss (`cli.ts` sets `-loss softmax`),
 * no character n-grams (`maxn` 0, fastText's supervised default), not quantized. {@link openSparseScorer} answers
 * `undefined` for any other model, and the caller falls back to `fasttext predict-prob`.
 *
 * Two ways in: {@link openSparseScorer} reads the rows from a model file; {@link StreamedScorer} keeps them as the
 * model streams past once, on its way from fastText into `model.tar.gz` (the training job, `train.ts`), so the job
 * never reads the model back. The header parser ({@link parseModelHeader}) works on the first bytes of either.
 */
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { FASTTEXT_LABEL_PREFIX, fromFastTextLabel } from '../../core/text/label-mapping.js';
import { FastTextError } from './errors.js';
import type { TextPrediction } from './predictor.js';

/** `FASTTEXT_FILEFORMAT_MAGIC_INT32` and `FASTTEXT_VERSION` of fastText 0.9.2 (src/fasttext.cc). */
const MAGIC = 793712314;
const VERSION = 12;
/** `loss_name::softmax` and `model_name::sup` (src/args.h: both enums start at 1). */
const LOSS_SOFTMAX = 3;
const MODEL_SUPERVISED = 3;
const END_OF_SENTENCE = '</s>';
/** `Dictionary::readWord`'s separators. */
const SEPARATORS = /[ \n\r\t\v\f\0]+/;
const NGRAM_MULTIPLIER = 116049371n;
/** Bytes between the input matrix's floats and the output matrix's: the `qout` byte, then rows and cols as int64. */
const OUTPUT_PREAMBLE = 17;
/** Rows closer than this many rows apart are read in one call: fewer reads for a little more data. */
const MERGE_GAP_ROWS = 8;
/** Reads between two yields to the event loop. */
const READ_SLICE = 2000;

/**
 * What a model file's header says: everything before the input matrix's floats, read from the file's first bytes
 * (so a model still being written can be read as it arrives, see `model-stream.ts`).
 */
export interface ModelHeader {
  readonly dim: number;
  readonly wordNgrams: number;
  readonly bucket: number;
  readonly loss: number;
  readonly model: number;
  readonly maxn: number;
  readonly nwords: number;
  /** In-vocabulary word (its UTF-8 bytes as a latin1 string) → row. */
  readonly words: ReadonlyMap<string, number>;
  /** Label ids in dictionary order, as fastText writes them (`__label__…`). */
  readonly labels: readonly string[];
  /** `-1` when the dictionary was never pruned; else the bucket → row map. */
  readonly pruned: ReadonlyMap<number, number> | undefined;
  readonly quantized: boolean;
  /** Byte offset of the input matrix's first float. */
  readonly inputOffset: number;
  readonly inputRows: number;
}

/** The parts of a model file this scorer needs. */
interface ModelLayout extends ModelHeader {
  /** The output matrix (labels × dim), float32. */
  readonly output: Float32Array;
}

/** A model opened for sparse scoring. */
export interface SparseScorer {
  /** The top `k` labels of every text (as {@link FastTextPredictor.predict}), in the order given. */
  predict(texts: readonly string[], k: number): Promise<TextPrediction[]>;
  close(): Promise<void>;
}

/**
 * Opens `modelBin` for sparse scoring, or answers `undefined` when the model is not one this scorer reproduces
 * (see the module comment), so the caller uses `fasttext predict-prob` instead.
 * @throws FastTextError when the file is not a fastText model
 */
export async function openSparseScorer(modelBin: string): Promise<SparseScorer | undefined> {
  const handle = await open(modelBin, 'r');
  try {
    const layout = await readLayout(handle, modelBin);
    if (layout === undefined) {
      await handle.close();
      return undefined;
    }
    return {
      predict: (texts, k) => predictSparse(handle, layout, texts, k),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Whether this scorer reproduces a model's predictions (see the module comment). */
export function isScorable(header: ModelHeader): boolean {
  return header.loss === LOSS_SOFTMAX && header.model === MODEL_SUPERVISED && header.maxn === 0 && !header.quantized;
}

/**
 * The byte size of a supervised, unquantized model file from its header (`FastText::saveModel`): the header, the
 * input matrix, the `qout` byte, the output matrix's rows and cols (int64) and its labels × dim floats.
 * @throws FastTextError for a model whose size the header does not give (quantized, or not supervised)
 */
export function modelFileSize(header: ModelHeader): number {
  if (header.quantized || header.model !== MODEL_SUPERVISED) throw new FastTextError('only supervised, unquantized fastText models have a size known from their header');
  return header.inputOffset + header.inputRows * header.dim * 4 + OUTPUT_PREAMBLE + header.labels.length * header.dim * 4;
}

/** Ran out of bytes while parsing (a private signal of {@link parseModelHeader}, never thrown out of it). */
class NeedMoreBytes extends Error {
  public override readonly name = 'NeedMoreBytes';
}

/** A cursor over the bytes read so far of a model's header. */
class HeaderCursor {
  public position = 0;

  public constructor(private readonly bytes: Buffer) {}

  private need(count: number): void {
    if (this.position + count > this.bytes.length) throw new NeedMoreBytes();
  }

  public int32(): number {
    this.need(4);
    const value = this.bytes.readInt32LE(this.position);
    this.position += 4;
    return value;
  }

  public int64(): number {
    this.need(8);
    const value = Number(this.bytes.readBigInt64LE(this.position));
    this.position += 8;
    return value;
  }

  public byte(): number {
    this.need(1);
    return this.bytes.readInt8(this.position++);
  }

  public skip(count: number): void {
    this.need(count);
    this.position += count;
  }

  /** A NUL-terminated word, as its bytes in a latin1 string (byte-exact, whatever the encoding). */
  public word(): string {
    const end = this.bytes.indexOf(0, this.position);
    if (end < 0) throw new NeedMoreBytes();
    const word = this.bytes.toString('latin1', this.position, end);
    this.position = end + 1;
    return word;
  }
}

/**
 * Parses a fastText 0.9.2 model's header from the file's first bytes; answers `undefined` when `bytes` ends before
 * the header does (read more and call again).
 * @throws FastTextError when the bytes are not a fastText model of the version this module reads
 */
export function parseModelHeader(bytes: Buffer, path: string): ModelHeader | undefined {
  const r = new HeaderCursor(bytes);
  try {
    if (r.int32() !== MAGIC) throw new FastTextError(`${path} does not start with fastText's magic number: it is not a fastText model`);
    const version = r.int32();
    if (version !== VERSION) throw new FastTextError(`${path} is a fastText model of format version ${version}; Sluice reads version ${VERSION} (fastText 0.9.2)`);
    // Args::save: dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate, then t.
    const args: number[] = [];
    for (let i = 0; i < 12; i++) args.push(r.int32());
    r.skip(8);
    const [dim = 0, , , , , wordNgrams = 1, loss = 0, model = 0, bucket = 0, , maxn = 0] = args;
    const size = r.int32();
    const nwords = r.int32();
    r.int32(); // nlabels: the labels are counted below
    r.int64(); // ntokens
    const pruneSize = r.int64();
    const words = new Map<string, number>();
    const labels: string[] = [];
    for (let i = 0; i < size; i++) {
      const word = r.word();
      r.skip(8); // count
      if (r.byte() === 0) words.set(word, i);
      else labels.push(Buffer.from(word, 'latin1').toString('utf8'));
    }
    let pruned: Map<number, number> | undefined;
    if (pruneSize >= 0) {
      pruned = new Map();
      for (let i = 0; i < pruneSize; i++) pruned.set(r.int32(), r.int32());
    }
    const quantized = r.byte() !== 0;
    if (quantized) return { dim, wordNgrams, bucket, loss, model, maxn, nwords, words, labels, pruned, quantized, inputOffset: r.position, inputRows: 0 };
    const inputRows = r.int64();
    const inputCols = r.int64();
    if (inputCols !== dim) throw new FastTextError(`${path}: the input matrix has ${inputCols} columns for dim ${dim}`);
    return { dim, wordNgrams, bucket, loss, model, maxn, nwords, words, labels, pruned, quantized, inputOffset: r.position, inputRows };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return undefined;
    throw error;
  }
}

/** Reads a model file's header, reading twice as much of the file each time the dictionary runs past what was read. */
async function readHeader(handle: FileHandle, path: string): Promise<ModelHeader> {
  for (let size = 1 << 20; ; size *= 2) {
    const bytes = Buffer.alloc(size);
    const { bytesRead } = await handle.read(bytes, 0, size, 0);
    const header = parseModelHeader(bytes.subarray(0, bytesRead), path);
    if (header !== undefined) return header;
    if (bytesRead < size) throw new FastTextError(`${path} ends inside its header: it is not a whole fastText model`);
  }
}

async function readLayout(handle: FileHandle, path: string): Promise<ModelLayout | undefined> {
  const head = Buffer.alloc(8);
  await handle.read(head, 0, 8, 0);
  // Another format version: not one this scorer reproduces, `fasttext predict-prob` may still read it.
  if (head.readInt32LE(0) === MAGIC && head.readInt32LE(4) !== VERSION) return undefined;
  const header = await readHeader(handle, path);
  if (!isScorable(header)) return undefined;
  // After the input floats: the qout byte, then the output matrix's rows and cols (int64) and its floats.
  const tail = Buffer.alloc(OUTPUT_PREAMBLE + header.labels.length * header.dim * 4);
  const { bytesRead } = await handle.read(tail, 0, tail.length, header.inputOffset + header.inputRows * header.dim * 4);
  if (bytesRead < tail.length) throw new FastTextError(`${path} ends inside its output matrix: it is not a whole fastText model`);
  const output = outputMatrix(header, tail, path);
  return output === undefined ? undefined : { ...header, output };
}

/**
 * The output matrix from the bytes after the input matrix (`qout`, rows, cols, floats); `undefined` when quantized.
 * @throws FastTextError when its shape does not match the header
 */
function outputMatrix(header: ModelHeader, tail: Buffer, path: string): Float32Array | undefined {
  if (tail.readInt8(0) !== 0) return undefined;
  const rows = Number(tail.readBigInt64LE(1));
  if (rows !== header.labels.length || Number(tail.readBigInt64LE(9)) !== header.dim) throw new FastTextError(`${path}: the output matrix does not match the ${header.labels.length} labels`);
  // A copy: the floats must start on a 4-byte boundary, which the tail's offset in a pooled buffer need not.
  const floats = new Float32Array(rows * header.dim);
  Buffer.from(floats.buffer).set(tail.subarray(OUTPUT_PREAMBLE, OUTPUT_PREAMBLE + floats.byteLength));
  return floats;
}

/** fastText's `Dictionary::hash`: FNV-1a over the bytes read as signed chars (`uint32_t(int8_t(c))`). */
function fnv1a(bytes: Buffer): number {
  let h = 2166136261;
  for (const byte of bytes) {
    h = (h ^ ((byte << 24) >> 24)) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

/** `Dictionary::getLine` + `addWordNgrams` for one text: the input rows, in fastText's order. */
function inputRows(header: ModelHeader, text: string): number[] {
  const rows: number[] = [];
  const hashes: bigint[] = [];
  const tokens = text.split(SEPARATORS).filter((token) => token !== '');
  tokens.push(END_OF_SENTENCE);
  for (const token of tokens) {
    const bytes = Buffer.from(token, 'utf8');
    const id = header.words.get(bytes.toString('latin1'));
    if (id === undefined && token.startsWith(FASTTEXT_LABEL_PREFIX)) continue;
    if (id !== undefined) rows.push(id);
    // The hash is kept as an int32 and widened to uint64 with its sign, as `uint64_t h = hashes[i]` does.
    hashes.push(BigInt.asUintN(64, BigInt(fnv1a(bytes) | 0)));
  }
  const bucket = BigInt(header.bucket);
  for (let i = 0; i < hashes.length; i++) {
    let h = hashes[i] ?? 0n;
    for (let j = i + 1; j < hashes.length && j < i + header.wordNgrams; j++) {
      h = BigInt.asUintN(64, h * NGRAM_MULTIPLIER + (hashes[j] ?? 0n));
      const id = Number(h % bucket);
      if (header.pruned === undefined) rows.push(header.nwords + id);
      else {
        const kept = header.pruned.get(id);
        if (kept !== undefined) rows.push(header.nwords + kept);
      }
    }
  }
  return rows;
}

/**
 * The input rows a batch of texts needs: every text's rows as slots into one packed table (`values[slot * dim]`),
 * and the rows themselves in ascending order (slot `i` holds row `rows[i]`).
 * @throws FastTextError when a row is outside the input matrix
 */
function plan(header: ModelHeader, texts: readonly string[]): { rows: Int32Array; lines: Int32Array[] } {
  const lines = texts.map((text) => inputRows(header, text));
  const wanted = new Set<number>();
  for (const line of lines) {
    for (const row of line) {
      if (row < 0 || row >= header.inputRows) throw new FastTextError(`row ${row} is outside the model's input matrix`);
      wanted.add(row);
    }
  }
  const rows = Int32Array.from(wanted).sort();
  const slot = new Map<number, number>();
  rows.forEach((row, i) => slot.set(row, i));
  return { rows, lines: lines.map((line) => Int32Array.from(line, (row) => slot.get(row) ?? 0)) };
}

/**
 * Reads the given rows (ascending) of the input matrix into one packed table, merging near rows into one read.
 * Synchronous positional reads into one reused buffer, in slices that yield to the event loop: a validation set needs
 * tens of thousands of 200-byte rows, and one `readSync` costs a few microseconds where a thread-pool round trip
 * costs tens (measured 0.74 s against 1.7 s for 46,000 rows on this machine under load).
 */
async function readRows(fd: number, header: ModelHeader, rows: Int32Array): Promise<Float32Array> {
  const ranges: { first: number; last: number; slot: number }[] = [];
  rows.forEach((row, slot) => {
    const previous = ranges[ranges.length - 1];
    if (previous !== undefined && row - previous.last <= MERGE_GAP_ROWS) previous.last = row;
    else ranges.push({ first: row, last: row, slot });
  });
  const { dim } = header;
  const rowBytes = dim * 4;
  const values = new Float32Array(rows.length * dim);
  const longest = ranges.reduce((most, { first, last }) => Math.max(most, last - first + 1), 0);
  const scratch = Buffer.alloc(longest * rowBytes);
  const floats = new Float32Array(scratch.buffer, scratch.byteOffset, longest * dim);
  for (let start = 0; start < ranges.length; start += READ_SLICE) {
    for (const range of ranges.slice(start, start + READ_SLICE)) {
      const { first, last } = range;
      const length = (last - first + 1) * rowBytes;
      if (readSync(fd, scratch, 0, length, header.inputOffset + first * rowBytes) < length) {
        throw new FastTextError(`the model file ends inside its input matrix (row ${last})`);
      }
      // The wanted rows of this range are the next slots, in order; the rows between them are skipped.
      for (let slot = range.slot; slot < rows.length && (rows[slot] ?? Infinity) <= last; slot++) {
        const at = (rows[slot] ?? first) - first;
        values.set(floats.subarray(at * dim, (at + 1) * dim), slot * dim);
      }
    }
    await setImmediate();
  }
  return values;
}

async function predictSparse(handle: FileHandle, layout: ModelLayout, texts: readonly string[], k: number): Promise<TextPrediction[]> {
  const { rows, lines } = plan(layout, texts);
  const values = await readRows(handle.fd, layout, rows);
  const top = Math.max(1, Math.floor(k));
  return lines.map((line) => rank(layout, layout.output, line, values, top));
}

/**
 * Scores texts with a model whose bytes stream past it once, as fastText writes them (`model-stream.ts`): from the
 * header it works out which input rows the texts need, keeps those rows and the output matrix as the bytes go by,
 * and ranks the labels once the whole file has passed. The same arithmetic as {@link openSparseScorer}.
 */
export class StreamedScorer {
  private readonly values: Buffer;
  private readonly tail: Buffer;
  private readonly rowBytes: number;
  private readonly tailStart: number;
  /** The next wanted row (index into `rows`) not yet wholly received. */
  private next = 0;
  private received = 0;

  private constructor(
    private readonly header: ModelHeader,
    private readonly rows: Int32Array,
    private readonly lines: readonly Int32Array[],
    private readonly path: string,
  ) {
    this.rowBytes = header.dim * 4;
    const floats = new Float32Array(rows.length * header.dim);
    this.values = Buffer.from(floats.buffer);
    this.tailStart = header.inputOffset + header.inputRows * this.rowBytes;
    this.tail = Buffer.alloc(OUTPUT_PREAMBLE + header.labels.length * this.rowBytes);
  }

  /**
   * A scorer for `texts` once the model's header is known, or `undefined` when the model is not one this module
   * reproduces (see the module comment).
   * @throws FastTextError when a text needs a row outside the input matrix
   */
  public static create(header: ModelHeader, texts: readonly string[], path: string): StreamedScorer | undefined {
    if (!isScorable(header)) return undefined;
    const { rows, lines } = plan(header, texts);
    return new StreamedScorer(header, rows, lines, path);
  }

  /** Keeps what it needs of the model bytes `[at, at + chunk.length)`; chunks come in order, each byte once. */
  public take(chunk: Buffer, at: number): void {
    const end = at + chunk.length;
    const { rows, rowBytes, header } = this;
    while (this.next < rows.length) {
      const start = header.inputOffset + (rows[this.next] ?? 0) * rowBytes;
      if (start >= end) break;
      const from = Math.max(start, at);
      const to = Math.min(start + rowBytes, end);
      if (to > from) chunk.copy(this.values, this.next * rowBytes + (from - start), from - at, to - at);
      if (start + rowBytes > end) break;
      this.next++;
    }
    const from = Math.max(this.tailStart, at);
    const to = Math.min(this.tailStart + this.tail.length, end);
    if (to > from) {
      chunk.copy(this.tail, from - this.tailStart, from - at, to - at);
      this.received += to - from;
    }
  }

  /**
   * The top `k` labels of every text, in the order given.
   * @throws FastTextError when the model's bytes have not all passed, or its output matrix does not match its header
   */
  public predict(k: number): TextPrediction[] {
    if (this.next < this.rows.length || this.received < this.tail.length) throw new FastTextError(`${this.path} ended before the rows the validation texts need`);
    const output = outputMatrix(this.header, this.tail, this.path);
    if (output === undefined) throw new FastTextError(`${this.path}: a quantized output matrix cannot be scored here`);
    const values = new Float32Array(this.values.buffer, this.values.byteOffset, this.values.length / 4);
    const top = Math.max(1, Math.floor(k));
    return this.lines.map((line) => rank(this.header, output, line, values, top));
  }
}

/**
 * `Model::predict` for one line (its rows as slots into `values`): hidden = mean of the rows, softmax over the
 * labels, the top `k` (float32 throughout).
 */
function rank(header: ModelHeader, output: Float32Array, line: Int32Array, values: Float32Array, k: number): TextPrediction {
  // fastText answers nothing for a line with no known word and no n-gram (`FastText::predict` returns early).
  if (line.length === 0) return { labels: [], probabilities: [], fastTextLabels: [] };
  const { dim, labels } = header;
  const hidden = new Float32Array(dim);
  for (const slot of line) {
    const at = slot * dim;
    for (let j = 0; j < dim; j++) hidden[j] = (hidden[j] ?? 0) + (values[at + j] ?? 0);
  }
  const scale = Math.fround(1 / line.length);
  for (let j = 0; j < dim; j++) hidden[j] = (hidden[j] ?? 0) * scale;
  const scores = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let d = 0;
    for (let j = 0; j < dim; j++) d = Math.fround(d + Math.fround((output[i * dim + j] ?? 0) * (hidden[j] ?? 0)));
    scores[i] = d;
  }
  let max = scores[0] ?? 0;
  for (const score of scores) max = Math.max(max, score);
  let z = 0;
  for (let i = 0; i < scores.length; i++) {
    scores[i] = Math.exp(Math.fround((scores[i] ?? 0) - max));
    z = Math.fround(z + (scores[i] ?? 0));
  }
  for (let i = 0; i < scores.length; i++) scores[i] = (scores[i] ?? 0) / z;
  // Loss::findKBest ranks by log(p + 1e-5) kept as a float; the printed probability is exp of that.
  const ranked = [...scores].map((p, i) => ({ i, log: Math.fround(Math.log(p + 1e-5)) })).sort((a, b) => b.log - a.log || a.i - b.i).slice(0, k);
  const fastTextLabels = ranked.map(({ i }) => labels[i] ?? '');
  return {
    labels: fastTextLabels.map((label) => fromFastTextLabel(label)),
    probabilities: ranked.map(({ log }) => Math.fround(Math.exp(log))),
    fastTextLabels,
  };
}
