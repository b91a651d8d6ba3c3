import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { UnreadableFileError } from '../errors.js';
import type { DuckDbSession } from '../duckdb/open-duckdb.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { jsonLinesSql } from './ingest-sql.js';

const PROBE_BYTES = 64 * 1024;
const OTHER_DELIMITERS = [',', ';', '\t', '|'];

/**
 * Looks at the start of a file before DuckDB reads it, so that the common ways a file is unusable get a message a
 * person can act on: empty, binary, not UTF-8.
 */
export async function probeFile(path: string, where: string, compressed: boolean): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new UnreadableFileError(`${where} is empty (0 bytes)`);
    if (compressed) return;
    const buffer = Buffer.alloc(Math.min(PROBE_BYTES, size));
    await handle.read(buffer, 0, buffer.length, 0);
    if (buffer.includes(0)) throw new UnreadableFileError(`${where} is a binary file, not text (it contains NUL bytes)`);
    // Cut at the last newline so a multi-byte character split by the probe's end is not mistaken for bad UTF-8.
    const lastNewline = buffer.lastIndexOf(0x0a);
    const sample = lastNewline > 0 ? buffer.subarray(0, lastNewline) : buffer;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample);
    } catch {
      throw new UnreadableFileError(`${where} is not UTF-8 text`);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads the column names of the file: the CSV header, or the keys of the first JSON Lines records (malformed lines are
 * skipped here: they are quarantined later). A CSV without a header (`source.csv.header: false`) is read by position:
 * its fields are the contract's columns, in order.
 */
export async function readHeader(session: DuckDbSession, spec: PipelineSpec, path: string, where: string): Promise<string[]> {
  let fields: string[];
  try {
    if (spec.source.format === 'csv') {
      // The header is read by hand: DuckDB's sniffer would judge the whole file, and a file with a few bad rows must
      // still be read (and those rows quarantined), not refused.
      const line = await firstRecord(path, spec.source.csv.quote);
      fields = splitCsvRecord(line, spec.source.csv.delimiter, spec.source.csv.quote, spec.source.csv.escape);
    } else {
      const rows = await session.rows(
        `SELECT DISTINCT unnest(json_keys(line)) AS k FROM (SELECT line FROM ${jsonLinesSql(path)} WHERE json_valid(line) AND json_type(line) = 'OBJECT' LIMIT 10000)`,
      );
      return rows.map((r) => String(r.k));
    }
  } catch (error) {
    throw new UnreadableFileError(`${where} cannot be read as ${spec.source.format.toUpperCase()}: ${firstLine(error)}`, { cause: error });
  }
  if (spec.source.csv.header) return fields;
  const columns = spec.contract.columns.map((c) => c.name);
  if (fields.length !== columns.length) {
    throw new UnreadableFileError(
      `${where}: the first line has ${fields.length} values where the contract declares ${columns.length} columns (source.csv.header: false reads the columns by position)`,
    );
  }
  return columns;
}

/** The file's header as the contract names it, and what did not match. */
export interface MatchedHeader {
  /** The file's fields in order: the contract column each one is, or its own name when it is none. */
  header: string[];
  /** Contract column → its name in the file, for columns whose names differ. */
  sourceNames: Map<string, string>;
  /** Names in the file the contract does not declare (dropped when the contract allows it). */
  unknown: string[];
}

/**
 * Matches the file's header to the contract: a column is found under its `sourceName` (or its name), exactly or,
 * with `source.matchNames: case-insensitive`, whatever the case. Refuses a header that repeats a column, lacks a
 * required one or (unless the contract drops them) has unknown ones.
 */
export function checkHeader(spec: PipelineSpec, fileHeader: readonly string[], where: string): MatchedHeader {
  const fold = (name: string) => (spec.source.matchNames === 'case-insensitive' ? name.toLowerCase() : name);
  const byFileName = new Map(spec.contract.columns.map((c) => [fold(c.sourceName ?? c.name), c]));
  const sourceNames = new Map<string, string>();
  const header = fileHeader.map((name) => {
    const column = byFileName.get(fold(name));
    if (!column) return name;
    if (column.name !== name) sourceNames.set(column.name, name);
    return column.name;
  });
  const duplicates = header.filter((name, index) => header.indexOf(name) !== index);
  if (duplicates.length > 0) throw new UnreadableFileError(`${where}: the header repeats ${[...new Set(duplicates)].map((d) => `"${d}"`).join(', ')}`);
  const declared = new Set(spec.contract.columns.map((c) => c.name));
  const missing = spec.contract.columns.filter((c) => c.required && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    if (spec.source.format === 'csv' && header.length === 1) {
      const only = header[0] ?? '';
      const other = OTHER_DELIMITERS.find((d) => d !== spec.source.csv.delimiter && only.includes(d));
      if (other !== undefined) {
        throw new UnreadableFileError(
          `${where}: found one column "${only.slice(0, 80)}" where ${spec.contract.columns.length} were expected; the file looks ${JSON.stringify(other)}-delimited but the pipeline declares ${JSON.stringify(spec.source.csv.delimiter)}`,
        );
      }
    }
    const hints = missing
      .map((name) => header.find((h) => h.toLowerCase() === name && h !== name))
      .filter((h): h is string => h !== undefined);
    const hint =
      hints.length > 0
        ? ` (column names are case-sensitive; found ${hints.map((h) => `"${h}"`).join(', ')}); set source.matchNames: case-insensitive, or name the file's column with sourceName`
        : '';
    throw new UnreadableFileError(`${where}: missing required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}${hint}; the header has ${fileHeader.map((h) => `"${h}"`).join(', ')}`);
  }
  const unknown = header.filter((name) => !declared.has(name));
  if (unknown.length > 0 && spec.contract.unknownColumns === 'reject') {
    throw new UnreadableFileError(
      `${where}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (the contract rejects columns it does not declare; declare them or set contract.unknownColumns: drop)`,
    );
  }
  return { header, sourceNames, unknown };
}

/** The first line of an error's message: DuckDB's messages carry a long context after it. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

const HEADER_LIMIT = 1024 * 1024;

/** The first record of a CSV file (its header), which may span lines inside quotes; gzip is decompressed. */
export async function firstRecord(path: string, quote: string): Promise<string> {
  const raw = createReadStream(path, { end: HEADER_LIMIT * 4 });
  const stream = /\.gz$/i.test(path) ? raw.pipe(createGunzip()) : raw;
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('utf8');
      const end = recordEnd(text, quote);
      if (end >= 0) return text.slice(0, end).replace(/^\uFEFF/, '');
      if (text.length > HEADER_LIMIT) break;
    }
  } finally {
    raw.destroy();
  }
  if (text.length > HEADER_LIMIT) throw new Error(`the header is longer than ${HEADER_LIMIT} characters`);
  return text.replace(/^\uFEFF/, '');
}

function recordEnd(text: string, quote: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === quote) quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) return i;
  }
  return -1;
}

/** Splits one CSV record into fields, honouring the quote and escape characters. */
export function splitCsvRecord(record: string, delimiter: string, quote: string, escape: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i += 1) {
    const c = record[i] ?? '';
    if (quoted) {
      if (c === escape && record[i + 1] === quote) {
        field += quote;
        i += 1;
      } else if (c === quote) {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === quote) {
      quoted = true;
    } else if (record.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}
