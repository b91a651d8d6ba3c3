/**
 * The `POST /invocations` contract of SageMaker's built-in XGBoost `1.7-1` container, as pure functions: which
 * request content types are read, how a body becomes a row-major feature matrix, which `Accept` types are answered
 * and the exact bytes of an answer. The facts, with their sources, are in `README-contract.md`.
 *
 * Kept free of HTTP and of XGBoost so that unit tests cover every rule without a server or a model.
 */
import { pythonFloatRepr } from '../xgboost/eval-log.js';
import { NotAcceptableError, PayloadFormatError, RequestLimitError, UnsupportedContentTypeError } from './errors.js';

/** How a request body is encoded. `json` is a local extension: the container itself refuses JSON input with 415. */
export type RequestFormat = 'csv' | 'json';

/** What an answer is encoded as. */
export type ResponseFormat = 'text/csv' | 'application/json';

/** Row-major features of one request, NaN where a value is missing. */
export interface FeatureMatrix {
  readonly values: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
}

/** Largest payload the container takes by default (`MAX_CONTENT_LENGTH`, 6 MiB), also SageMaker's real-time limit. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * The most feature values one request may expand to: as many as a dense CSV body of the maximum payload can carry
 * (one digit and one comma each). Only a sparse JSON row (`keys` and `shape`) can name more values than its bytes
 * hold, so this bounds what a small body can make the endpoint allocate.
 */
export const MAX_REQUEST_VALUES = DEFAULT_MAX_PAYLOAD_BYTES / 2;

/** Content types the container reads that this endpoint does not (a clear 415 rather than a guess). */
const CONTAINER_ONLY_CONTENT_TYPES = new Set([
  'libsvm',
  'text/libsvm',
  'text/x-libsvm',
  'application/x-recordio-protobuf',
  'application/x-parquet',
]);

/**
 * Reads `Content-Type`. No header means `text/csv` (SageMaker's documented default for XGBoost inference). Like the
 * container, `text/csv` may carry parameters (`charset`, `label_size=1`), and `label_size` other than 1 is refused.
 * @throws UnsupportedContentTypeError (415)
 */
export function parseContentType(header: string | undefined): RequestFormat {
  if (header === undefined || header.trim() === '') return 'csv';
  const [rawType = '', ...rawParams] = header.split(';');
  const type = rawType.trim().toLowerCase();
  if (type === 'text/csv' || type === 'csv') {
    for (const param of rawParams) {
      const [key = '', value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
      if (key === 'label_size' && value !== '1') {
        throw new UnsupportedContentTypeError(
          `${header} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1`,
        );
      }
    }
    return 'csv';
  }
  if (type === 'application/json') return 'json';
  if (CONTAINER_ONLY_CONTENT_TYPES.has(type)) {
    throw new UnsupportedContentTypeError(
      `Content-type ${type} is read by SageMaker's XGBoost container but not by the local endpoint; ` +
        'send text/csv (or application/json)',
    );
  }
  throw new UnsupportedContentTypeError(
    `Content-type ${header} is not supported. Supported content types: text/csv, application/json (local only)`,
  );
}

/** Accept types the container lists but only encodes with `SAGEMAKER_INFERENCE_OUTPUT` set (else it fails, 500). */
const SELECTABLE_ONLY_ACCEPTS = new Set(['application/jsonlines', 'application/x-recordio-protobuf']);

/**
 * Picks the answer's format from `Accept`: absent, empty or `*∕*` gives `defaultFormat` (the container's
 * `SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`, `text/csv` unless set). In a list, the first supported entry wins.
 * @throws NotAcceptableError (406)
 */
export function negotiateAccept(header: string | undefined, defaultFormat: ResponseFormat = 'text/csv'): ResponseFormat {
  if (header === undefined || header.trim() === '') return defaultFormat;
  let selectableOnly: string | undefined;
  for (const entry of header.split(',')) {
    const type = (entry.split(';')[0] ?? '').trim().toLowerCase();
    if (type === '*/*' || type === '') return defaultFormat;
    if (type === 'text/csv' || type === 'application/json') return type;
    if (type === 'text/*') return 'text/csv';
    if (type === 'application/*') return 'application/json';
    if (SELECTABLE_ONLY_ACCEPTS.has(type)) selectableOnly ??= type;
  }
  const hint =
    selectableOnly === undefined
      ? ''
      : ` (${selectableOnly} is encoded by the container only in selectable-inference mode, SAGEMAKER_INFERENCE_OUTPUT)`;
  throw new NotAcceptableError(
    `Accept type ${header} is not supported. Please use supported accept types: text/csv, application/json${hint}`,
  );
}

/** Parses a body in the given format. @throws PayloadFormatError (415) */
export function parseFeatures(body: Uint8Array, format: RequestFormat): FeatureMatrix {
  return format === 'csv' ? parseCsvFeatures(body) : parseJsonFeatures(body);
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const isBlank = (byte: number | undefined): boolean =>
  byte === SPACE || byte === TAB || byte === CR || byte === NEWLINE;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses CSV feature rows (no label, no header), the container's `text/csv` input: comma-separated numbers, one row
 * per line; an empty field is a missing value (NaN), as are `nan` and `NaN`; surrounding whitespace and blank lines
 * are ignored. Every row must have as many fields as the first.
 *
 * One pass over the bytes: each field is read as a plain decimal while its end is looked for, and only a field that
 * is not one (an exponent, `nan`, more than 15 significant digits, or junk) is read again the slow way. A plain
 * decimal uses Clinger's fast path: at most 15 significant digits and a power of ten up to 10^22 make
 * `mantissa / 10^k` one correctly rounded IEEE operation, the same double as `Number(text)`.
 * @throws PayloadFormatError naming the line and column of the first bad value or ragged row
 */
export function parseCsvFeatures(body: Uint8Array): FeatureMatrix {
  let start = 0;
  let end = body.length;
  while (start < end && isBlank(body[start])) start++;
  while (end > start && isBlank(body[end - 1])) end--;
  if (start === end) throw new PayloadFormatError('Loading csv data failed: the payload holds no rows');

  let values = new Float32Array(Math.min(((end - start) >> 2) + 16, 1 << 20));
  let count = 0;
  let nCols = -1;
  let nRows = 0;
  let line = 0;
  let i = start;
  while (i < end) {
    line++;
    let probe = i;
    while (probe < end && (body[probe] === SPACE || body[probe] === TAB || body[probe] === CR)) probe++;
    if (probe < end && body[probe] === NEWLINE) {
      i = probe + 1;
      continue;
    }
    const rowStart = count;
    for (;;) {
      let k = i;
      while (k < end && (body[k] === SPACE || body[k] === TAB)) k++;
      const fieldStart = k;
      let negative = false;
      if (k < end && (body[k] === MINUS || body[k] === PLUS)) {
        negative = body[k] === MINUS;
        k++;
      }
      let mantissa = 0;
      let digits = 0;
      let significant = 0;
      let scale = 0;
      let byte = body[k] ?? 0;
      while (k < end && byte >= ZERO && byte <= NINE) {
        if (significant > 0 || byte !== ZERO) significant++;
        mantissa = mantissa * 10 + (byte - ZERO);
        digits++;
        byte = body[++k] ?? 0;
      }
      if (k < end && byte === DOT) {
        byte = body[++k] ?? 0;
        while (k < end && byte >= ZERO && byte <= NINE) {
          if (significant > 0 || byte !== ZERO) significant++;
          mantissa = mantissa * 10 + (byte - ZERO);
          digits++;
          scale--;
          byte = body[++k] ?? 0;
        }
      }
      const textEnd = k;
      while (k < end && (body[k] === SPACE || body[k] === TAB || body[k] === CR)) k++;
      let stop = k < end ? (body[k] ?? NEWLINE) : NEWLINE;
      let value: number;
      if ((stop === COMMA || stop === NEWLINE) && digits > 0 && significant <= 15 && scale >= -22) {
        const magnitude = mantissa === 0 ? 0 : scale === 0 ? mantissa : mantissa / (POW10[-scale] ?? 1);
        value = negative ? -magnitude : magnitude;
      } else if ((stop === COMMA || stop === NEWLINE) && textEnd === fieldStart) {
        value = Number.NaN;
      } else {
        while (k < end && body[k] !== COMMA && body[k] !== NEWLINE) k++;
        stop = k < end ? (body[k] ?? NEWLINE) : NEWLINE;
        value = parseSlowField(body, fieldStart, k, line, count - rowStart);
      }
      if (count === values.length) {
        const grown = new Float32Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[count++] = value;
      i = k + 1;
      if (stop !== COMMA) break;
    }
    const width = count - rowStart;
    if (nCols === -1) nCols = width;
    else if (width !== nCols) {
      throw new PayloadFormatError(
        `Loading csv data failed: line ${line} has ${width} value(s), the first row has ${nCols}; ` +
          'every row must have the same number of features',
      );
    }
    nRows++;
  }
  return { values: values.subarray(0, count), nRows, nCols };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/** A field that is not a plain decimal: exponent notation, many digits, nan, inf, or an error. */
function parseSlowField(body: Uint8Array, start: number, end: number, line: number, column: number): number {
  while (end > start && isBlank(body[end - 1])) end--;
  const text = Buffer.from(body.buffer, body.byteOffset + start, end - start).toString('utf8');
  if (text === '') return Number.NaN;
  if (DECIMAL.test(text)) return Number(text);
  if (NAN.test(text)) return Number.NaN;
  const infinity = INFINITY.exec(text);
  if (infinity) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const hint = line === 1 && column === 0 ? ' (the CSV must have no header row)' : '';
  throw new PayloadFormatError(
    `Loading csv data failed: line ${line}, column ${column + 1} is not a number: "${text.slice(0, 80)}"${hint}. ` +
      'Send comma-separated numeric features, no label column, no header.',
  );
}

/**
 * Parses a JSON body (a local extension) in the shapes of SageMaker's common inference format
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html):
 * `{"instances": [{"features": [...]}, ...]}`, `{"instances": [{"data": {"features": {"values": [...]}}}]}` (with
 * optional `keys` and `shape` for a sparse row), `{"instances": [[...], ...]}`, `{"features": [...]}` for one row,
 * or a bare array of rows / of numbers. `null` is a missing value.
 * @throws PayloadFormatError naming the path of the first bad value
 */
export function parseJsonFeatures(body: Uint8Array): FeatureMatrix {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (cause) {
    throw new PayloadFormatError(`Loading json data failed: ${(cause as Error).message}`, { cause });
  }
  const rows = jsonRows(document, { remaining: MAX_REQUEST_VALUES });
  if (rows.length === 0) throw new PayloadFormatError('Loading json data failed: the payload holds no rows');
  const first = rows[0];
  const nCols = first === undefined ? 0 : first.values.length;
  const values = new Float32Array(rows.length * nCols);
  rows.forEach((row, r) => {
    if (row.values.length !== nCols) {
      throw new PayloadFormatError(
        `Loading json data failed: ${row.path} has ${row.values.length} value(s), the first row has ${nCols}`,
      );
    }
    values.set(row.values, r * nCols);
  });
  if (nCols === 0) throw new PayloadFormatError('Loading json data failed: the rows hold no features');
  return { values, nRows: rows.length, nCols };
}

interface JsonRow {
  readonly path: string;
  readonly values: readonly number[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How many more values the rows of one request may expand to. */
interface ValueBudget {
  remaining: number;
}

function jsonRows(document: unknown, budget: ValueBudget): JsonRow[] {
  if (Array.isArray(document)) {
    if (document.every((item) => typeof item === 'number' || item === null)) {
      return [{ path: '$', values: numbers(document, '$') }];
    }
    return document.map((item, i) => jsonRow(item, `$[${i}]`, budget));
  }
  if (isRecord(document)) {
    if (Array.isArray(document['instances'])) {
      return document['instances'].map((item, i) => jsonRow(item, `instances[${i}]`, budget));
    }
    if ('features' in document || 'data' in document) return [jsonRow(document, '$', budget)];
  }
  throw new PayloadFormatError(
    'Loading json data failed: expected {"instances": [{"features": [...]}, ...]}, {"features": [...]} or an array ' +
      'of rows',
  );
}

function jsonRow(item: unknown, path: string, budget: ValueBudget): JsonRow {
  if (Array.isArray(item)) return { path, values: numbers(item, path) };
  if (isRecord(item)) {
    if (Array.isArray(item['features'])) return { path, values: numbers(item['features'], `${path}.features`) };
    const data = item['data'];
    const features = isRecord(data) ? data['features'] : undefined;
    if (isRecord(features) && Array.isArray(features['values'])) {
      return { path, values: tensorValues(features, `${path}.data.features`, budget) };
    }
  }
  throw new PayloadFormatError(
    `Loading json data failed: ${path} is not a row: expected an array of numbers, {"features": [...]} or ` +
      '{"data": {"features": {"values": [...]}}}',
  );
}

function tensorValues(tensor: Record<string, unknown>, path: string, budget: ValueBudget): number[] {
  const values = numbers(tensor['values'] as unknown[], `${path}.values`);
  const keys = tensor['keys'];
  if (!Array.isArray(keys) || keys.length === 0) return values;
  const shape = tensor['shape'];
  const width = Array.isArray(shape) ? shape[0] : undefined;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 0) {
    throw new PayloadFormatError(`Loading json data failed: ${path} has keys but no "shape": [number of features]`);
  }
  if (keys.length !== values.length) {
    throw new PayloadFormatError(`Loading json data failed: ${path} has ${keys.length} keys for ${values.length} values`);
  }
  // The shape is the one size a request names rather than carries: check it before allocating a row of that width.
  if (width > budget.remaining) {
    throw new RequestLimitError(
      `${path} has "shape": [${width}]: the rows of one request may hold at most ${MAX_REQUEST_VALUES} feature values ` +
        '(what a dense CSV body of the maximum payload holds); send fewer rows per request, or a shape as wide as the model',
    );
  }
  budget.remaining -= width;
  const dense = new Array<number>(width).fill(Number.NaN);
  keys.forEach((key, i) => {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= width) {
      throw new PayloadFormatError(`Loading json data failed: ${path}.keys[${i}] is not an index below ${width}`);
    }
    dense[key] = values[i] ?? Number.NaN;
  });
  return dense;
}

function numbers(items: readonly unknown[], path: string): number[] {
  return items.map((item, i) => {
    if (item === null) return Number.NaN;
    if (typeof item === 'number') return item;
    throw new PayloadFormatError(
      `Loading json data failed: ${path}[${i}] is not a number: ${JSON.stringify(item)?.slice(0, 80) ?? String(item)}`,
    );
  });
}

/**
 * Python's `repr(float)` of a prediction, as the container prints it (`preds.tolist()` turns XGBoost's float32
 * values into Python floats). `String()` agrees with Python between 1e-4 and 1e16 except that Python keeps `.0` on
 * whole numbers; elsewhere the exponent notations differ and the general formatter is used.
 */
export function formatPythonFloat(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const text = String(value);
    return Number.isInteger(value) ? `${text}.0` : text;
  }
  return pythonFloatRepr(value);
}

/**
 * Encodes predictions as the container answers them. `predictions` holds `nRows` rows of one value each, or of
 * `num_class` values each (`multi:softprob`).
 *
 * - `text/csv`: numpy's `savetxt(fmt='%s', delimiter=',')` of the predictions: one row per line, each line ended by
 *   `\n`; a row of class probabilities is comma-separated on its line.
 * - `application/json`: Python's `json.dumps({"predictions": [{"score": value}, ...]})`, with Python's `", "` and
 *   `": "` separators; a row of class probabilities is a list: `{"score": [p0, p1, p2]}`.
 */
export function formatPredictions(predictions: Float32Array, nRows: number, format: ResponseFormat): string {
  const width = nRows === 0 ? 0 : predictions.length / nRows;
  if (!Number.isInteger(width)) {
    throw new RangeError(`${predictions.length} predictions cannot be split into ${nRows} rows`);
  }
  const parts = new Array<string>(nRows);
  if (format === 'text/csv') {
    for (let r = 0; r < nRows; r++) parts[r] = joinRow(predictions, r * width, width, ',', formatPythonFloat);
    return nRows === 0 ? '' : `${parts.join('\n')}\n`;
  }
  for (let r = 0; r < nRows; r++) {
    const row = joinRow(predictions, r * width, width, ', ', formatJsonFloat);
    parts[r] = width === 1 ? `{"score": ${row}}` : `{"score": [${row}]}`;
  }
  return `{"predictions": [${parts.join(', ')}]}`;
}

/** Python's `json.dumps` of a float: `repr`, except the non-finite values it writes as `NaN` and `Infinity`. */
function formatJsonFloat(value: number): string {
  if (Number.isFinite(value)) return formatPythonFloat(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

function joinRow(
  predictions: Float32Array,
  offset: number,
  width: number,
  separator: string,
  format: (value: number) => string,
): string {
  if (width === 1) return format(predictions[offset] ?? Number.NaN);
  const values = new Array<string>(width);
  for (let j = 0; j < width; j++) values[j] = format(predictions[offset + j] ?? Number.NaN);
  return values.join(separator);
}
