/**
 * How batch scoring hands rows to the model container and reads them back, per algorithm: the scoring query's UNLOAD
 * (StartScoringQuery) writes the transform's input in the format the container reads for inference, and the transform's
 * `DataProcessing` carries each row's `source_row` through to its prediction (WritePredictions joins the id columns
 * back on it, so ids of any type never pass through a CSV the container parses).
 *
 * - XGBoost: `text/csv` without a header, gzip (Athena's TEXTFILE UNLOAD "uses gzip for the JSON and TEXTFILE
 *   formats", https://docs.aws.amazon.com/athena/latest/ug/unload.html): `source_row,label,f1,…`, each line built as
 *   text in SQL with a NULL as an empty field. Athena writes TEXTFILE with the Lazy Simple SerDe, whose NULL is `\N`
 *   unless `serialization.null.format` says otherwise (Athena user guide, "Lazy Simple SerDe"; UNLOAD has no property
 *   for it), and the container cannot read `\N`: its CSV decoder turns only an empty field into `nan`
 *   (`_clean_csv_string` in sagemaker_xgboost_container/encoder.py, then `np.array(...).astype(dtype)`), so a row with a
 *   missing feature would fail the whole transform. SageMaker's XGBoost
 *   container takes `text/csv` for inference, without a header, features only (SageMaker developer guide, XGBoost
 *   algorithm, "Input/Output Interface": "For CSV inference, the algorithm assumes that CSV input does not have the
 *   label column"); `InputFilter` `$[2:]` drops the row number and the label ("Examples: "$", "$[1:]"", API reference,
 *   DataProcessing, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataProcessing.html).
 *   `JoinSource` `Input` appends the prediction to the input line ("For CSV data, … the transformed data is appended
 *   to the input data", same page); `OutputFilter` `$[0,-1]` keeps the row number and a one-value prediction. A
 *   `multi:softprob` line holds one probability per class (core/deployment/prediction-answer.ts), so there the whole
 *   joined line is kept (`$`) and the last `num_class` fields are the probabilities.
 * - BlazingText: `application/jsonlines`, one `{"source": "<text>"}` per record ("batch transform uses
 *   application/jsonlines {"source": ...}", docs/research-notes-text.md from the BlazingText page,
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html). Each line is
 *   `{"source_row": N, "features": {"source": "<text>"}}`: `InputFilter` `$.features` sends the model its object
 *   ("Examples: … "$.features""), `JoinSource` `Input` adds the answer as `SageMakerOutput` to the input object, and
 *   `OutputFilter` `$['source_row','SageMakerOutput']` keeps the row number and the answer (the JSON example of
 *   "Associate Prediction Results with Input Records",
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
 *   The line is built as text in SQL (literal `replace()` and `chr()`, which Athena and DuckDB evaluate alike): JSON
 *   escaping of `\`, `"` and the control characters the text may still hold.
 */
import { numberLiteral } from '../sql/quote.js';

/** The transform input and output format of one algorithm. */
export interface ScoringFormat {
  contentType: string;
  accept: string;
  /** The UNLOAD's `WITH (…)` options. */
  unloadOptions: string;
  inputFilter: string;
  /** `numClass` > 1: the whole joined line is kept (XGBoost multi-class). */
  outputFilter: (valuesPerRow: number) => string;
}

const XGBOOST_FORMAT: ScoringFormat = {
  contentType: 'text/csv',
  accept: 'text/csv',
  // One column (the line built by transformInputSql): no field delimiter is written.
  unloadOptions: "format = 'TEXTFILE'",
  inputFilter: '$[2:]',
  outputFilter: (valuesPerRow) => (valuesPerRow > 1 ? '$' : '$[0,-1]'),
};

const BLAZINGTEXT_FORMAT: ScoringFormat = {
  contentType: 'application/jsonlines',
  accept: 'application/jsonlines',
  unloadOptions: "format = 'TEXTFILE'",
  inputFilter: '$.features',
  outputFilter: () => "$['source_row','SageMakerOutput']",
};

/** The format the algorithm's container reads for batch inference. */
export function scoringFormat(algorithm: 'xgboost' | 'blazingtext'): ScoringFormat {
  return algorithm === 'blazingtext' ? BLAZINGTEXT_FORMAT : XGBOOST_FORMAT;
}

/** Control characters JSON requires escaped (RFC 8259 §7), besides those channelText already made spaces. */
const JSON_ESCAPED_CONTROLS = [1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];

/** A SQL string expression as a JSON string's body: `\` and `"` escaped, control characters as `\u00XX`. */
export function jsonStringBodySql(expression: string): string {
  let body = `replace(replace(${expression}, '\\', '\\\\'), '"', '\\"')`;
  for (const code of JSON_ESCAPED_CONTROLS) body = `replace(${body}, chr(${numberLiteral(code)}), '\\u${code.toString(16).padStart(4, '0')}')`;
  return body;
}

/**
 * The SELECT the scoring UNLOAD writes, over the scoring query (`scoringSelectSql` with `source_row` as its one id),
 * whose `columnCount` columns are `source_row`, the label, then the features. One text column per row:
 * XGBoost, the CSV line `source_row,label,f1,…` with every NULL as an empty field (see above); BlazingText, one JSON
 * line. The columns are reached by position through a column alias list (`AS scoring(c0, …)`, which Trino and DuckDB
 * both take), so a feature without a name of its own needs none.
 */
export function transformInputSql(algorithm: 'xgboost' | 'blazingtext', scoringQuery: string, columnCount: number): string {
  if (algorithm !== 'blazingtext') {
    const columns = Array.from({ length: columnCount }, (_, i) => `c${i}`);
    const fields = columns.map((c, i) => (i === 0 ? `CAST(${c} AS VARCHAR)` : `COALESCE(CAST(${c} AS VARCHAR), '')`));
    return `SELECT ${fields.join(" || ',' || ")} AS line\nFROM (\n${scoringQuery}\n) AS scoring(${columns.join(', ')})`;
  }
  const line = `'{"source_row":' || CAST(source_row AS VARCHAR) || ',"features":{"source":"' || ${jsonStringBodySql('text')} || '"}}'`;
  return `SELECT ${line} AS line\nFROM (\n${scoringQuery}\n) AS scoring`;
}
