import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalCopy, ObjectInfo, ObjectRef, ObjectStore } from '../../core/ports/object-store.js';

/**
 * The object store on a local folder laid out as `<root>/<bucket>/<key>`. Writes go to a temporary name first and
 * are renamed into place, so a reader never sees half an object (as with S3).
 */
export class FolderObjectStore implements ObjectStore {
  public constructor(private readonly root: string) {}

  /** The file that holds an object. Keys may not climb out of their bucket, nor buckets out of the lake root. */
  public pathOf(ref: ObjectRef): string {
    const bucketDir = this.bucketDir(ref.bucket);
    const file = path.resolve(bucketDir, ref.key);
    if (file !== bucketDir && !file.startsWith(bucketDir + path.sep)) throw new Error(`Object key "${ref.key}" escapes bucket "${ref.bucket}"`);
    return file;
  }

  /** The folder of a bucket: one folder directly under the lake root. */
  private bucketDir(bucket: string): string {
    const root = path.resolve(this.root);
    const dir = path.resolve(root, bucket);
    if (path.dirname(dir) !== root || bucket.includes('/') || bucket.includes('\\')) throw new Error(`Bucket "${bucket}" escapes the lake root ${root}`);
    return dir;
  }

  /** The file or folder an `s3://bucket/key` URI stands for. */
  public pathOfUri(uri: string): string {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
    if (!match?.[1]) throw new Error(`Not an s3:// location: ${uri}`);
    return this.pathOf({ bucket: match[1], key: match[2] ?? '' });
  }

  public async head(ref: ObjectRef): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.pathOf(ref));
      if (!info.isFile()) return undefined;
      return { ...ref, size: info.size, etag: localEtag(info.size, info.mtimeMs, info.ino), lastModified: info.mtime.toISOString() };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  public async localCopy(ref: ObjectRef): Promise<LocalCopy> {
    const file = this.pathOf(ref);
    await stat(file);
    return { path: file, release: async () => {} };
  }

  public async putFile(source: string, ref: ObjectRef): Promise<void> {
    const target = await this.prepare(ref);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    // copyFile lets the kernel copy (or clone) the bytes: much faster than streaming them through Node.
    await copyFile(source, temp);
    await rename(temp, target);
  }

  public async putText(ref: ObjectRef, body: string): Promise<void> {
    const target = await this.prepare(ref);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, body);
    await rename(temp, target);
  }

  public async getText(ref: ObjectRef): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(ref), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  public async copy(from: ObjectRef, to: ObjectRef): Promise<void> {
    const target = await this.prepare(to);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await copyFile(this.pathOf(from), temp);
    await rename(temp, target);
  }

  public async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const bucketDir = this.bucketDir(bucket);
    // Walk only the folder the prefix points into, not the whole bucket.
    const slash = prefix.lastIndexOf('/');
    const startDir = path.join(bucketDir, prefix.slice(0, slash + 1));
    const found: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(full);
        } else if (entry.isFile() && entry.name.endsWith('.tmp')) {
          await removeIfAbandoned(full, entry.name);
        } else if (entry.isFile()) {
          const key = path.relative(bucketDir, full).split(path.sep).join('/');
          if (key.startsWith(prefix)) {
            const info = await stat(full);
            found.push({ bucket, key, size: info.size, etag: localEtag(info.size, info.mtimeMs, info.ino), lastModified: info.mtime.toISOString() });
          }
        }
      }
    };
    await walk(startDir);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  public async delete(refs: readonly ObjectRef[]): Promise<void> {
    await Promise.all(refs.map((ref) => rm(this.pathOf(ref), { force: true })));
  }

  public async move(from: ObjectRef, to: ObjectRef): Promise<void> {
    const target = await this.prepare(to);
    try {
      await rename(this.pathOf(from), target);
    } catch (error) {
      // Another file system (a bucket folder mounted elsewhere): copy through a temporary name, then delete.
      if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 'EXDEV')) throw error;
      await this.copy(from, to);
      await rm(this.pathOf(from), { force: true });
    }
  }

  public async deletePrefix(bucket: string, prefix: string): Promise<void> {
    const bucketDir = this.bucketDir(bucket);
    if (prefix === '') throw new Error(`Refusing to delete the whole bucket "${bucket}"`);
    const target = this.pathOf({ bucket, key: prefix });
    if (target === bucketDir) throw new Error(`Refusing to delete the whole bucket "${bucket}"`);
    if (prefix.endsWith('/')) {
      await rm(target, { recursive: true, force: true });
      return;
    }
    // A key prefix that is not a folder: every entry beside it whose name starts with it, temporary files included.
    const dir = path.dirname(target);
    const start = path.basename(target);
    const entries = await readdir(dir).catch((error: unknown) => {
      if (isNotFound(error)) return [];
      throw error;
    });
    await Promise.all(entries.filter((name) => name.startsWith(start)).map((name) => rm(path.join(dir, name), { recursive: true, force: true })));
  }

  private async prepare(ref: ObjectRef): Promise<string> {
    const target = this.pathOf(ref);
    await mkdir(path.dirname(target), { recursive: true });
    return target;
  }
}

/** Local stand-in for an ETag: changes whenever the file is replaced or rewritten, without reading it. */
function localEtag(size: number, mtimeMs: number, inode: number): string {
  return createHash('sha1').update(`${size}:${mtimeMs}:${inode}`).digest('hex').slice(0, 32);
}

/**
 * Removes a temporary file (`<target>.<pid>.<random>.tmp`) whose writer is gone: a process killed between writing
 * and renaming leaves one. A live writer's file is left alone.
 */
async function removeIfAbandoned(file: string, name: string): Promise<void> {
  const pid = Number(/\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/.exec(name)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) return;
  await rm(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EPERM';
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'ENOENT';
}
