/**
 * Reads rows back from a feature set file, whichever format the feature query wrote it in: Parquet (read with
 * `hyparquet`, a dependency-free Parquet reader with Snappy built in, so a Lambda needs no native module for it) or
 * the gzip / plain CSV of a TEXTFILE UNLOAD. Label first in both.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** True when the file starts with Parquet's magic bytes `PAR1`. */
async function isParquetFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === 'PAR1';
  } finally {
    await handle.close();
  }
}

// hyparquet is ESM only; this package is CommonJS, so it is loaded with import() (Node's own ESM loader).
async function hyparquet() {
  return import('hyparquet');
}

/** A value as CSV text: numbers as JavaScript writes them, NULL as an empty field (XGBoost's missing value). */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/** The first `count` rows of a feature file as CSV lines, label removed (what an endpoint takes as `text/csv`). */
export async function sampleFeatureRows(path: string, count: number): Promise<string[]> {
  if (await isParquetFile(path)) {
    const { asyncBufferFromFile, parquetReadObjects } = await hyparquet();
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path), rowEnd: count, rowFormat: 'array' });
    return rows.map((row) => (Array.isArray(row) ? row : Object.values(row)).slice(1).map(field).join(','));
  }
  const lines: string[] = [];
  let rest = '';
  const stream: Readable = (await isGzipFile(path)) ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  for await (const chunk of stream) {
    const parts = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
    if (lines.length >= count) break;
  }
  stream.destroy();
  return lines.slice(0, count).map((l) => l.slice(l.indexOf(',') + 1));
}

/** Rows in a feature file: Parquet's row count from its footer, or the lines of a (gzip) CSV file. */
export async function countFeatureRows(path: string): Promise<number> {
  if (await isParquetFile(path)) {
    const { asyncBufferFromFile, parquetMetadataAsync } = await hyparquet();
    return Number((await parquetMetadataAsync(await asyncBufferFromFile(path))).num_rows);
  }
  let rows = 0;
  const stream: Readable = (await isGzipFile(path)) ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  for await (const chunk of stream) for (const byte of chunk as Buffer) if (byte === 0x0a) rows++;
  return rows;
}

async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Rows in a Parquet file held in memory, read synchronously from its footer: the file ends with the Thrift-compact
 * `FileMetaData`, its 4-byte length and `PAR1`, and `FileMetaData.num_rows` is field 3, an i64 (Apache Parquet
 * format, parquet.thrift). Returns undefined for bytes that are not Parquet.
 */
export function parquetRowCount(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  if (n < 12 || String.fromCharCode(...bytes.subarray(n - 4)) !== 'PAR1') return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset + n - 8, 4).getUint32(0, true);
  const reader = new CompactReader(bytes.subarray(n - 8 - length, n - 8));
  let field = 0;
  for (;;) {
    const header = reader.byte();
    if (header === 0) return undefined;
    const type = header & 0x0f;
    field = header >> 4 === 0 ? reader.zigzag() : field + (header >> 4);
    if (field === 3 && type === 6) return reader.zigzag();
    reader.skip(type);
  }
}

/** Just enough of Thrift's compact protocol to skip fields (apache/thrift, doc/specs/thrift-compact-protocol.md). */
class CompactReader {
  private at = 0;

  public constructor(private readonly bytes: Uint8Array) {}

  public byte(): number {
    const value = this.bytes[this.at++];
    if (value === undefined) throw new RangeError('the Parquet footer ends early');
    return value;
  }

  public varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
  }

  public zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  public skip(type: number): void {
    if (type === 1 || type === 2) return; // booleans live in the field header
    if (type === 3) this.at += 1;
    else if (type === 4 || type === 5 || type === 6) this.varint();
    else if (type === 7) this.at += 8;
    else if (type === 8) {
      // Not `this.at += this.varint()`: that reads `at` before varint() moves it past the length.
      const size = this.varint();
      this.at += size;
    }
    else if (type === 9 || type === 10) {
      const head = this.byte();
      const size = head >> 4 === 15 ? this.varint() : head >> 4;
      for (let i = 0; i < size; i++) this.skipElement(head & 0x0f);
    } else if (type === 11) {
      const size = this.varint();
      if (size > 0) {
        const kinds = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kinds >> 4);
          this.skipElement(kinds & 0x0f);
        }
      }
    } else if (type === 12) {
      for (let header = this.byte(); header !== 0; header = this.byte()) {
        if (header >> 4 === 0) this.zigzag();
        this.skip(header & 0x0f);
      }
    } else throw new RangeError(`unknown Thrift compact type ${type} in the Parquet footer`);
  }

  private skipElement(type: number): void {
    // In a list, a boolean is a whole byte.
    if (type === 1 || type === 2) this.at += 1;
    else this.skip(type);
  }
}
