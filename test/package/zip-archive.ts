import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** One file of a zip archive, as its central directory lists it. */
export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
  method: number;
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** A zip archive read whole into memory: enough for Lambda zips, which are at most 50 MB. No zip64. */
export class ZipArchive {
  private readonly data: Buffer;
  public readonly entries: readonly ZipEntry[];

  public constructor(file: string) {
    this.data = readFileSync(file);
    this.entries = readCentralDirectory(this.data, file);
  }

  /** Entry names, sorted. */
  public names(): string[] {
    return this.entries.map((e) => e.name).sort();
  }

  /** The uncompressed content of the entry `name`. */
  public read(name: string): Buffer {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) throw new Error(`no entry ${name}`);
    const at = entry.localHeaderOffset;
    if (this.data.readUInt32LE(at) !== LOCAL_FILE_HEADER) throw new Error(`bad local header for ${name}`);
    const start = at + 30 + this.data.readUInt16LE(at + 26) + this.data.readUInt16LE(at + 28);
    const raw = this.data.subarray(start, start + entry.compressedSize);
    if (entry.method === STORED) return raw;
    if (entry.method === DEFLATED) return inflateRawSync(raw);
    throw new Error(`${name}: compression method ${entry.method} not supported`);
  }

  /** Writes every file of the archive under `dir`, as Lambda unpacks a zip into `$LAMBDA_TASK_ROOT`. */
  public extractTo(dir: string): void {
    for (const entry of this.entries.filter((e) => !e.name.endsWith('/'))) {
      const target = path.resolve(dir, entry.name);
      if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${entry.name} points outside the archive`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, this.read(entry.name));
    }
  }
}

function readCentralDirectory(data: Buffer, file: string): ZipEntry[] {
  // The end record sits in the last 22 bytes plus a comment of at most 65,535 bytes.
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i -= 1) {
    if (data.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${file} is not a zip archive`);
  const count = data.readUInt16LE(end + 10);
  const entries: ZipEntry[] = [];
  let at = data.readUInt32LE(end + 16);
  for (let i = 0; i < count; i += 1) {
    if (data.readUInt32LE(at) !== CENTRAL_DIRECTORY_HEADER) throw new Error(`${file}: bad central directory`);
    const nameLength = data.readUInt16LE(at + 28);
    entries.push({
      method: data.readUInt16LE(at + 10),
      compressedSize: data.readUInt32LE(at + 20),
      size: data.readUInt32LE(at + 24),
      localHeaderOffset: data.readUInt32LE(at + 42),
      name: data.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
  }
  return entries;
}
