/**
 * Telling raw records from featurized rows, and reading them. Raw records are the columns of the pipeline's contract:
 *
 * - `application/json`: one record (`{"tenure": 3, ...}`), an array of records, or `{"instances": [records]}`
 *   (SageMaker's JSON request shape, common data formats for inference). A record is an object; featurized JSON is
 *   numbers (`[[...]]`, `{"instances": [[...]]}`) or objects with `features`/`data` (the container's own shapes), so
 *   the two never meet unless a contract names a column `features` or `data`, in which case that column wins.
 * - `text/csv` with a header: the first line names contract columns. Featurized CSV has no header (the XGBoost
 *   container reads "features only, no label, no header"), so a first line of names is raw records and a first line of
 *   numbers is featurized rows, unchanged. `text/csv; header=present` (RFC 4180's parameter) says so explicitly.
 *
 * A body that is neither is left to the featurized contract (`undefined`), which answers as it always has.
 */
import type { RawValueKind } from './raw-records.js';
import type { RawServingSpec } from './raw-serving-spec.js';
import { RawRecordError, recordKeysOf } from './raw-records.js';

/** Records read from a request, with how their values were written. */
export interface RawRequest {
  readonly records: readonly unknown[];
  readonly kind: RawValueKind;
}

/** The most records one request may hold (a request is scored in one query; batch scoring is for files). */
export const MAX_RAW_RECORDS = 10_000;

/**
 * The raw records of a request body, or undefined when the body is featurized input.
 * @throws RawRecordError when the body is raw records but cannot be read (bad JSON inside, ragged CSV, too many)
 */
export function readRawRequest(body: string, contentType: string | undefined, spec: RawServingSpec): RawRequest | undefined {
  const [mediaType = '', ...parameters] = (contentType ?? 'text/csv').split(';').map((part) => part.trim().toLowerCase());
  const first = firstSignificant(body);
  if (mediaType === 'application/json') {
    if (first !== '{' && first !== '[') return undefined;
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      // Not JSON at all: the featurized contract's parser says what is wrong, as before.
      return undefined;
    }
    const records = recordsOf(document, spec);
    return records === undefined ? undefined : { records: limited(records), kind: 'json' };
  }
  if (mediaType === 'text/csv' || mediaType === 'csv') {
    const explicit = parameters.includes('header=present');
    // Featurized rows start with a number, a sign, a point or an empty first field: decided on one character.
    if (!explicit && (first === undefined || /[0-9+\-.,]/.test(first))) return undefined;
    const rows = parseCsv(body);
    const header = rows[0];
    if (header === undefined) return undefined;
    const known = recordKeysOf(spec);
    if (!explicit && !header.every((name) => known.has(name))) return undefined;
    const records = rows.slice(1).map((row, index) => {
      if (row.length !== header.length) {
        throw new RawRecordError(index, '', 'record', `has ${row.length} values, the header names ${header.length} columns`);
      }
      return Object.fromEntries(header.map((name, i) => [name, row[i]]));
    });
    return { records: limited(records), kind: 'csv' };
  }
  return undefined;
}

function limited(records: readonly unknown[]): readonly unknown[] {
  if (records.length > MAX_RAW_RECORDS) throw new RawRecordError(MAX_RAW_RECORDS, '', 'record', `more than ${MAX_RAW_RECORDS} records in one request: score files with batch scoring (sluice score)`);
  return records;
}

/** The records of a JSON document, or undefined when it is featurized input. */
function recordsOf(document: unknown, spec: RawServingSpec): readonly unknown[] | undefined {
  const keys = recordKeysOf(spec);
  const isRecord = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    return !Object.keys(value).some((key) => (key === 'features' || key === 'data') && !keys.has(key));
  };
  if (Array.isArray(document)) return document.length > 0 && document.every(isRecord) ? document : undefined;
  if (typeof document !== 'object' || document === null) return undefined;
  const instances = (document as Record<string, unknown>)['instances'];
  if (instances !== undefined && !keys.has('instances')) {
    return Array.isArray(instances) && instances.length > 0 && instances.every(isRecord) ? instances : undefined;
  }
  return isRecord(document) ? [document] : undefined;
}

function firstSignificant(body: string): string | undefined {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n' && c !== '\uFEFF') return c;
  }
  return undefined;
}

/**
 * RFC 4180 CSV: `,` separated, `"` quoted with `""` for a quote, CRLF or LF line ends; blank lines skipped; a header's
 * names are trimmed. Values are kept as written (an empty field is `''`, which the contract check reads as missing).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) endRow();
  const [header] = rows;
  if (header !== undefined) rows[0] = header.map((name) => name.trim());
  return rows;
}
