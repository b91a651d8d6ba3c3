/**
 * User labels of any string ↔ fastText labels (`__label__<token>`), in both directions, with no state: the token is
 * the label with the characters fastText would cut it on (and every other whitespace or control character)
 * percent-encoded, and `%` itself encoded first so decoding is exact. `great` stays `great`, `Twitter for iPhone`
 * becomes `Twitter%20for%20iPhone`: readable, injective (percent-encoding of `%` makes it a bijection onto the
 * tokens it writes), deterministic, and the same in SQL ({@link labelTokenSql}) and in TypeScript.
 *
 * Why these characters: fastText splits a line into words on `' '`, `\t`, `\n`, `\v`, `\f`, `\r` and `\0`
 * (`Dictionary::readWord` in facebookresearch/fastText src/dictionary.cc), and a word is a label when it starts with
 * the label prefix, `__label__` by default (`-label`). BlazingText reads the same format: "Labels are words that are
 * prefixed by the string __label__" (SageMaker developer guide, BlazingText algorithm, "Train with File Mode",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html). Unicode spaces (`\p{Z}`) and the other control
 * characters are encoded too so a token never looks blank or breaks a line in any tool.
 */
import { TerminalStepError } from '../errors.js';

/** fastText's and BlazingText's default label prefix. */
export const FASTTEXT_LABEL_PREFIX = '__label__';

/** A label that cannot be mapped (empty), or a fastText label that is not one Sluice wrote. */
export class LabelMappingError extends TerminalStepError {
  public override readonly name = 'LabelMappingError';
}

/**
 * The characters encoded, besides `%`: C0 and C1 controls, DEL, and the Unicode space separators (`\p{Z}`: U+0020,
 * U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). A fixed list, so the SQL twin is a chain
 * of literal `replace()` calls that Athena and DuckDB evaluate identically.
 */
export const ENCODED_LABEL_CHARACTERS: readonly string[] = Object.freeze([
  ...range(0x00, 0x1f),
  0x7f,
  ...range(0x80, 0x9f),
  0x20,
  0xa0,
  0x1680,
  ...range(0x2000, 0x200a),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
].map((code) => String.fromCodePoint(code)));

const ENCODED = new Set(ENCODED_LABEL_CHARACTERS);

/** `%XX` (UTF-8 bytes, upper-case hex) for one character. */
function percentEncode(char: string): string {
  return [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * The fastText token of a user label: `great` → `great`, `Twitter for iPhone` → `Twitter%20for%20iPhone`,
 * `100%` → `100%25`.
 * @throws LabelMappingError when the label is empty (fastText would read a bare `__label__`, which no user label can
 * round-trip to)
 */
export function labelToken(label: string): string {
  if (label.length === 0) throw new LabelMappingError('A label must not be empty: give every row a non-empty label (or filter the rows without one in the feature query)');
  let out = '';
  for (const char of label) out += char === '%' || ENCODED.has(char) ? percentEncode(char) : char;
  return out;
}

/** `__label__<token>`: the word a training line starts with. */
export function toFastTextLabel(label: string): string {
  return `${FASTTEXT_LABEL_PREFIX}${labelToken(label)}`;
}

/**
 * The user label a fastText label stands for (the inverse of {@link toFastTextLabel}).
 * @throws LabelMappingError when the word lacks the prefix, is empty after it, or holds a malformed `%` escape
 */
export function fromFastTextLabel(fastTextLabel: string): string {
  if (!fastTextLabel.startsWith(FASTTEXT_LABEL_PREFIX)) {
    throw new LabelMappingError(`"${fastTextLabel}" is not a fastText label: it does not start with ${FASTTEXT_LABEL_PREFIX}`);
  }
  const token = fastTextLabel.slice(FASTTEXT_LABEL_PREFIX.length);
  if (token.length === 0) throw new LabelMappingError(`"${fastTextLabel}" has no label after ${FASTTEXT_LABEL_PREFIX}`);
  if (/%(?![0-9A-F]{2})/u.test(token)) {
    throw new LabelMappingError(`"${fastTextLabel}" holds a malformed escape: Sluice writes % as %25 and escapes as %XX (upper-case hex)`);
  }
  try {
    return decodeURIComponent(token);
  } catch (cause) {
    throw new LabelMappingError(`"${fastTextLabel}" holds an escape that is not UTF-8`, { cause });
  }
}

/**
 * The mapping recorded with a model: every user label and its fastText label, sorted by user label (code-unit
 * order), so the same labels always give the same bytes.
 * @throws LabelMappingError on an empty label
 */
export function labelMapping(labels: Iterable<string>): readonly { label: string; fastText: string }[] {
  return [...new Set(labels)].sort(codeUnitOrder).map((label) => ({ label, fastText: toFastTextLabel(label) }));
}

/**
 * The SQL expression (Trino and DuckDB alike) of `toFastTextLabel(<column>)`: literal `replace()` calls only, `%`
 * first. An empty label gives a bare `__label__`; the feature query filters those rows (see `channel-line.ts`).
 * Characters are written with `chr()` (both engines: Trino `chr(n)`, DuckDB `chr(n)`) so the SQL text stays ASCII.
 */
export function labelTokenSql(column: string): string {
  let expression = `replace(${column}, '%', '%25')`;
  for (const char of ENCODED_LABEL_CHARACTERS) {
    expression = `replace(${expression}, chr(${char.codePointAt(0) ?? 0}), '${percentEncode(char)}')`;
  }
  return `'${FASTTEXT_LABEL_PREFIX}' || ${expression}`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
