/**
 * BlazingText's supervised input, one record per line: `__label__<token> word word …` (SageMaker developer guide,
 * BlazingText algorithm, "Train with File Mode": "the training/validation file should contain a training sentence
 * per line along with the labels. Labels are words that are prefixed by the string __label__",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html; the channel's file type is "Text file (one
 * sentence per line with space-separated tokens)", "Common parameters for built-in algorithms",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-algo-docker-registry-paths.html; AWS's own examples send
 * the channels with `content_type="text/plain"`, aws/sagemaker-python-sdk and the BlazingText DBPedia notebook).
 *
 * One definition, twice: {@link channelLineSql} is the SQL expression the feature query is wrapped in (Athena and
 * DuckDB evaluate it identically: `||`, `CASE`, literal `replace()` and `chr()` only, no regex), and
 * {@link channelLine} is the same function in TypeScript, for tests and for the local predictor's input. The text is
 * whatever the pipeline's feature SQL normalised; the wrapper only guarantees the format:
 * - the line holds no line or field break: `\n`, `\r`, `\t`, `\v`, `\f` and NUL become spaces (fastText's word
 *   separators, `Dictionary::readWord` in fastText src/dictionary.cc, so the words fastText reads are unchanged);
 * - a word of the text that starts with `__label__` loses one underscore, so a review cannot inject a label;
 * - an empty text gives the label alone (no trailing space).
 * Rows whose label is NULL or empty are filtered by {@link channelSelectSql}'s WHERE: fastText cannot round-trip
 * them (see `label-mapping.ts`).
 */
import { createHash } from 'node:crypto';
import { FASTTEXT_LABEL_PREFIX, labelTokenSql, toFastTextLabel } from './label-mapping.js';

/** Characters replaced by a space in the text (fastText's separators besides the space itself). */
const LINE_BREAKERS: readonly number[] = [0, 9, 10, 11, 12, 13];

/** The TypeScript twin of {@link channelLineSql}: one training line for `label` and its normalised `text`. */
export function channelLine(label: string, text: string): string {
  const body = channelText(text);
  const head = toFastTextLabel(label);
  return body === '' ? head : `${head} ${body}`;
}

/** The text part of {@link channelLine}: breaks become spaces and a `__label__` word loses one underscore. */
export function channelText(text: string): string {
  let body = text;
  for (const code of LINE_BREAKERS) body = body.replaceAll(String.fromCharCode(code), ' ');
  return ` ${body}`.replaceAll(` ${FASTTEXT_LABEL_PREFIX}`, ` ${FASTTEXT_LABEL_PREFIX.slice(1)}`).slice(1);
}

/**
 * Lines in channel order: by the upper-case hex md5 of the line's UTF-8 bytes, then by the line (the TypeScript twin
 * of {@link channelSelectSql}'s ORDER BY). A hash order, not the label order a plain `ORDER BY line` gives: fastText
 * does not shuffle its input, and a file sorted by label trains a model that mostly answers the last label read
 * (measured on the tweets: accuracy 0.45 sorted, below the 0.52 majority baseline).
 */
export function orderChannelLines(lines: readonly string[]): string[] {
  const keyed = lines.map((line) => [createHash('md5').update(line, 'utf8').digest('hex').toUpperCase(), line] as const);
  keyed.sort(([ha, a], [hb, b]) => (ha < hb ? -1 : ha > hb ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, line]) => line);
}

/** The lines of a channel file: one per record, each ended by `\n` (what a TEXTFILE writer and `COPY` produce). */
export function channelFile(records: Iterable<{ label: string; text: string }>): string {
  let out = '';
  for (const { label, text } of records) out += `${channelLine(label, text)}\n`;
  return out;
}

/**
 * The text part of a channel line, without the label (the SQL twin of {@link channelText}): what a line's words are at
 * training, so scoring and serving send a model the same words (core/features/scoring-sql.ts).
 */
export function channelTextSql(textColumn: string): string {
  let body = `COALESCE(${textColumn}, '')`;
  for (const code of LINE_BREAKERS) body = `replace(${body}, chr(${code}), ' ')`;
  return `substr(replace(' ' || ${body}, ' ${FASTTEXT_LABEL_PREFIX}', ' ${FASTTEXT_LABEL_PREFIX.slice(1)}'), 2)`;
}

/**
 * The SQL expression of {@link channelLine} over two columns (already-quoted identifiers or expressions).
 * `COALESCE` makes a NULL text an empty one; a NULL label gives a NULL line, which {@link channelSelectSql} filters.
 */
export function channelLineSql(labelColumn: string, textColumn: string): string {
  const body = channelTextSql(textColumn);
  const head = labelTokenSql(labelColumn);
  return `CASE WHEN ${body} = '' THEN ${head} ELSE ${head} || ' ' || ${body} END`;
}

/**
 * The query that produces a channel's lines from a feature query returning `label` and `text`: one column, `line`,
 * then the `carry` columns unchanged (the split, which UNLOAD's `partitioned_by` needs last).
 * StartFeatureQuery unloads it (core/features/feature-sql.ts) as
 * `UNLOAD (<this>) TO 's3://…/features/<pipeline>/<runId>/' WITH (format = 'TEXTFILE', partitioned_by = ARRAY['split'])`.
 * Athena's UNLOAD documentation (https://docs.aws.amazon.com/athena/latest/ug/unload.html): TEXTFILE output is
 * always gzip ("Athena uses gzip for the JSON and TEXTFILE formats"; `compression` applies to ORC and Parquet only),
 * the field delimiter defaults to `\001` (irrelevant with one column), and results are written "to multiple files in
 * parallel". BlazingText expects "a single preprocessed text file" per channel (same BlazingText page, Input/Output
 * Interface): GetFeatureQueryState gunzips and merges the parts (each sorted, not relative to each other) into one `data.txt`
 * (core/features/channel-merge.ts; File mode, `CompressionType` applies to Pipe mode only).
 */
export function channelSelectSql(featureQuery: string, labelColumn = 'label', textColumn = 'text', carry: readonly string[] = []): string {
  return [
    `SELECT ${[`${channelLineSql(labelColumn, textColumn)} AS line`, ...carry].join(', ')}`,
    `FROM (\n${featureQuery}\n) AS features`,
    `WHERE ${labelColumn} IS NOT NULL AND ${labelColumn} <> ''`,
    'ORDER BY to_hex(md5(to_utf8(line))), line',
  ].join('\n');
}
