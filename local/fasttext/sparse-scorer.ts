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
/** Rows closer than this many rows apart are read in one call: fewer reads for a little more data. */
const MERGE_GAP_ROWS = 8;
/** Reads between two yields to the event loop. */
const READ_SLICE = 2000;

/** The parts of a model file this scorer needs. */
interface ModelLayout {
  readonly dim: number;
  readonly wordNgrams: number;
  readonly bucket: number;
  readonly nwords: number;
  /** In-vocabulary word (its UTF-8 bytes as a latin1 string) → row. */
  readonly words: ReadonlyMap<string, number>;
  /** Label ids in dictionary order, as fastText writes them (`__label__…`). */
  readonly labels: readonly string[];
  /** `-1` when the dictionary was never pruned; else the bucket → row map. */
  readonly pruned: ReadonlyMap<number, number> | undefined;
  /** Byte offset of the input matrix's first float. */
  readonly inputOffset: number;
  readonly inputRows: number;
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

/** A cursor over the model's header bytes, reading more of the file when the dictionary runs past them. */
class HeaderReader {
  private buffer = Buffer.alloc(0);
  public position = 0;

  public constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
  ) {}

  public async need(bytes: number): Promise<void> {
    if (this.position + bytes <= this.buffer.length) return;
    const size = Math.max(this.position + bytes, this.buffer.length * 2, 1 << 20);
    const next = Buffer.alloc(size);
    const { bytesRead } = await this.handle.read(next, 0, size, 0);
    if (bytesRead < this.position + bytes) throw new FastTextError(`${this.path} ends inside its header: it is not a whole fastText model`);
    this.buffer = next.subarray(0, bytesRead);
  }

  public async int32(): Promise<number> {
    await this.need(4);
    const value = this.buffer.readInt32LE(this.position);
    this.position += 4;
    return value;
  }

  public async int64(): Promise<number> {
    await this.need(8);
    const value = Number(this.buffer.readBigInt64LE(this.position));
    this.position += 8;
    return value;
  }

  public async byte(): Promise<number> {
    await this.need(1);
    return this.buffer.readInt8(this.position++);
  }

  /** A NUL-terminated word, as its bytes in a latin1 string (byte-exact, whatever the encoding). */
  public async word(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf(0, this.position);
      if (end >= 0) {
        const word = this.buffer.toString('latin1', this.position, end);
        this.position = end + 1;
        return word;
      }
      await this.need(this.buffer.length - this.position + 1);
    }
  }

  public async floats(count: number, at: number): Promise<Float32Array> {
    const bytes = Buffer.alloc(count * 4);
    const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, at);
    if (bytesRead < bytes.length) throw new FastTextError(`${this.path} ends inside its output matrix: it is not a whole fastText model`);
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
}

async function readLayout(handle: FileHandle, path: string): Promise<ModelLayout | undefined> {
  const r = new HeaderReader(handle, path);
  if ((await r.int32()) !== MAGIC) throw new FastTextError(`${path} does not start with fastText's magic number: it is not a fastText model`);
  if ((await r.int32()) !== VERSION) return undefined;
  // Args::save: dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate, then t.
  const args: number[] = [];
  for (let i = 0; i < 12; i++) args.push(await r.int32());
  await r.need(8);
  r.position += 8;
  const [dim = 0, , , , , wordNgrams = 1, loss, model, bucket = 0, , maxn] = args;
  if (loss !== LOSS_SOFTMAX || model !== MODEL_SUPERVISED || maxn !== 0) return undefined;
  const size = await r.int32();
  const nwords = await r.int32();
  await r.int32(); // nlabels: the labels are counted below
  await r.int64(); // ntokens
  const pruneSize = await r.int64();
  const words = new Map<string, number>();
  const labels: string[] = [];
  for (let i = 0; i < size; i++) {
    const word = await r.word();
    await r.need(9);
    r.position += 8; // count
    const type = await r.byte();
    if (type === 0) words.set(word, i);
    else labels.push(Buffer.from(word, 'latin1').toString('utf8'));
  }
  let pruned: Map<number, number> | undefined;
  if (pruneSize >= 0) {
    pruned = new Map();
    for (let i = 0; i < pruneSize; i++) pruned.set(await r.int32(), await r.int32());
  }
  if ((await r.byte()) !== 0) return undefined; // quantized input
  const inputRows = await r.int64();
  const inputCols = await r.int64();
  if (inputCols !== dim) throw new FastTextError(`${path}: the input matrix has ${inputCols} columns for dim ${dim}`);
  const inputOffset = r.position;
  // After the input floats: the qout byte, then the output matrix's rows and cols (int64) and its floats.
  const tail = Buffer.alloc(17);
  await handle.read(tail, 0, 17, inputOffset + inputRows * dim * 4);
  if (tail.readInt8(0) !== 0) return undefined;
  const outputRows = Number(tail.readBigInt64LE(1));
  if (outputRows !== labels.length || Number(tail.readBigInt64LE(9)) !== dim) throw new FastTextError(`${path}: the output matrix does not match the ${labels.length} labels`);
  const output = await r.floats(outputRows * dim, inputOffset + inputRows * dim * 4 + 17);
  return { dim, wordNgrams, bucket, nwords, words, labels, pruned, inputOffset, inputRows, output };
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
function inputRows(layout: ModelLayout, text: string): number[] {
  const rows: number[] = [];
  const hashes: bigint[] = [];
  const tokens = text.split(SEPARATORS).filter((token) => token !== '');
  tokens.push(END_OF_SENTENCE);
  for (const token of tokens) {
    const bytes = Buffer.from(token, 'utf8');
    const id = layout.words.get(bytes.toString('latin1'));
    if (id === undefined && token.startsWith(FASTTEXT_LABEL_PREFIX)) continue;
    if (id !== undefined) rows.push(id);
    // The hash is kept as an int32 and widened to uint64 with its sign, as `uint64_t h = hashes[i]` does.
    hashes.push(BigInt.asUintN(64, BigInt(fnv1a(bytes) | 0)));
  }
  const bucket = BigInt(layout.bucket);
  for (let i = 0; i < hashes.length; i++) {
    let h = hashes[i] ?? 0n;
    for (let j = i + 1; j < hashes.length && j < i + layout.wordNgrams; j++) {
      h = BigInt.asUintN(64, h * NGRAM_MULTIPLIER + (hashes[j] ?? 0n));
      const id = Number(h % bucket);
      if (layout.pruned === undefined) rows.push(layout.nwords + id);
      else {
        const kept = layout.pruned.get(id);
        if (kept !== undefined) rows.push(layout.nwords + kept);
      }
    }
  }
  return rows;
}

/** The rows a batch of texts needs, packed: row `id` is at `values[slot.get(id) * dim]`. */
interface RowTable {
  readonly slot: ReadonlyMap<number, number>;
  readonly values: Float32Array;
}

/**
 * Reads the given rows of the input matrix into one packed table, merging near rows into one read. Synchronous
 * positional reads into one reused buffer, in slices that yield to the event loop: a validation set needs tens of
 * thousands of 200-byte rows, and one `readSync` costs a few microseconds where a thread-pool round trip costs tens
 * (measured 0.74 s against 1.7 s for 46,000 rows on this machine under load).
 */
async function readRows(fd: number, layout: ModelLayout, wanted: ReadonlySet<number>): Promise<RowTable> {
  const sorted = [...wanted].sort((a, b) => a - b);
  const ranges: { first: number; last: number }[] = [];
  for (const row of sorted) {
    const previous = ranges[ranges.length - 1];
    if (previous !== undefined && row - previous.last <= MERGE_GAP_ROWS) previous.last = row;
    else ranges.push({ first: row, last: row });
  }
  const { dim } = layout;
  const rowBytes = dim * 4;
  const slot = new Map(sorted.map((row, i) => [row, i]));
  const values = new Float32Array(sorted.length * dim);
  const longest = ranges.reduce((most, { first, last }) => Math.max(most, last - first + 1), 0);
  const scratch = Buffer.alloc(longest * rowBytes);
  const floats = new Float32Array(scratch.buffer, scratch.byteOffset, longest * dim);
  for (let start = 0; start < ranges.length; start += READ_SLICE) {
    for (const { first, last } of ranges.slice(start, start + READ_SLICE)) {
      const length = (last - first + 1) * rowBytes;
      if (readSync(fd, scratch, 0, length, layout.inputOffset + first * rowBytes) < length) {
        throw new FastTextError(`the model file ends inside its input matrix (row ${last})`);
      }
      for (let row = first; row <= last; row++) {
        const at = slot.get(row);
        if (at !== undefined) values.set(floats.subarray((row - first) * dim, (row - first + 1) * dim), at * dim);
      }
    }
    await setImmediate();
  }
  return { slot, values };
}

async function predictSparse(handle: FileHandle, layout: ModelLayout, texts: readonly string[], k: number): Promise<TextPrediction[]> {
  const lines = texts.map((text) => inputRows(layout, text));
  const wanted = new Set<number>();
  for (const line of lines) {
    for (const row of line) {
      if (row < 0 || row >= layout.inputRows) throw new FastTextError(`row ${row} is outside the model's input matrix`);
      wanted.add(row);
    }
  }
  const table = await readRows(handle.fd, layout, wanted);
  const top = Math.max(1, Math.floor(k));
  return lines.map((line) => rank(layout, line, table, top));
}

/** `Model::predict` for one line: hidden = mean of the rows, softmax over the labels, the top `k` (float32 throughout). */
function rank(layout: ModelLayout, line: readonly number[], table: RowTable, k: number): TextPrediction {
  // fastText answers nothing for a line with no known word and no n-gram (`FastText::predict` returns early).
  if (line.length === 0) return { labels: [], probabilities: [], fastTextLabels: [] };
  const { dim, output, labels } = layout;
  const { slot, values } = table;
  const hidden = new Float32Array(dim);
  for (const id of line) {
    const at = (slot.get(id) ?? 0) * dim;
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
