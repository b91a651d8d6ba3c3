/** fastText's `loss_name` values (src/args.h) the tests build models with. */
export const LOSS_HS = 1;
export const LOSS_SOFTMAX = 3;

/**
 * A fastText 0.9.2 `model.bin` built by hand (the layout of `FastText::saveModel`): dim 2, words `</s>`, `good`,
 * `bad`, labels `__label__pos` and `__label__Twitter%20for%20iPhone`, 4 buckets. With `wordNgrams` 1 no bucket row is
 * used; with 2, every pair of words adds one (the bucket rows hold distinct values so a wrong row shows).
 */
export function tinyModel(loss: number, wordNgrams = 1): Buffer {
  const int32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return b;
  };
  const int64 = (v: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    return b;
  };
  const floats = (values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer);
  const entry = (word: string, type: number): Buffer => Buffer.concat([Buffer.from(`${word}\0`, 'utf8'), int64(1), Buffer.from([type])]);
  const t = Buffer.alloc(8);
  t.writeDoubleLE(1e-4);
  // dim, ws, epoch, minCount, neg, wordNgrams, loss, model (sup), bucket, minn, maxn, lrUpdateRate, t
  const args = Buffer.concat([...[2, 5, 5, 1, 5, wordNgrams, loss, 3, 4, 0, 0, 100].map(int32), t]);
  const dictionary = Buffer.concat([int32(5), int32(3), int32(2), int64(10), int64(-1), entry('</s>', 0), entry('good', 0), entry('bad', 0), entry('__label__pos', 1), entry('__label__Twitter%20for%20iPhone', 1)]);
  // Input rows: </s>, good, bad, then 4 buckets; output rows: pos, iPhone.
  const input = Buffer.concat([int64(7), int64(2), floats([0, 0, 1, 0, 0, 1, 3, -1, -2, 4, 0.5, 0.25, -1, -3])]);
  const output = Buffer.concat([int64(2), int64(2), floats([2, -1, -1, 2])]);
  return Buffer.concat([int32(793712314), int32(12), args, dictionary, Buffer.from([0]), input, Buffer.from([0]), output]);
}
