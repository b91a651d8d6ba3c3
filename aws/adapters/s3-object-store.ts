import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '../../core/errors.js';
import type { LocalCopy, ObjectInfo, ObjectRef, ObjectStore } from '../../core/ports/object-store.js';
import { callAws, callAwsTolerating, classifyAwsError, isAwsError } from './aws-errors.js';

const DELETE_BATCH = 1000; // DeleteObjects takes at most 1,000 keys a request.

/** The object store on S3. Objects are streamed to and from disk, never held whole in memory. */
export class S3ObjectStore implements ObjectStore {
  public constructor(private readonly s3: S3Client) {}

  public async head(ref: ObjectRef): Promise<ObjectInfo | undefined> {
    const out = await callAwsTolerating(
      `HeadObject s3://${ref.bucket}/${ref.key}`,
      () => this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key })),
      isMissing,
    );
    if (!out) return undefined;
    return {
      ...ref,
      size: out.ContentLength ?? 0,
      etag: stripQuotes(out.ETag ?? ''),
      ...(out.VersionId ? { versionId: out.VersionId } : {}),
      lastModified: (out.LastModified ?? new Date(0)).toISOString(),
    };
  }

  public async localCopy(ref: ObjectRef, workDir: string): Promise<LocalCopy> {
    await mkdir(workDir, { recursive: true });
    const file = path.join(workDir, `${randomUUID()}-${path.basename(ref.key)}`);
    const out = await this.get(ref);
    await pipeline(out as Readable, createWriteStream(file));
    return { path: file, release: () => rm(file, { force: true }) };
  }

  public async putFile(file: string, ref: ObjectRef, contentType?: string): Promise<void> {
    const { size } = await stat(file);
    await callAws(`PutObject s3://${ref.bucket}/${ref.key}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Body: createReadStream(file),
          ContentLength: size,
          ...(contentType ? { ContentType: contentType } : {}),
        }),
      ),
    );
  }

  public async putText(ref: ObjectRef, body: string, contentType = 'application/json'): Promise<void> {
    await callAws(`PutObject s3://${ref.bucket}/${ref.key}`, () =>
      this.s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType })),
    );
  }

  public async getText(ref: ObjectRef): Promise<string | undefined> {
    try {
      const body = await this.get(ref);
      return await (body as { transformToString(): Promise<string> }).transformToString();
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  public async copy(from: ObjectRef, to: ObjectRef): Promise<void> {
    await callAws(`CopyObject s3://${from.bucket}/${from.key}`, () =>
      this.s3.send(
        new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: `${from.bucket}/${encodeURIComponent(from.key).replaceAll('%2F', '/')}` }),
      ),
    );
  }

  public async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    const pages = paginateListObjectsV2({ client: this.s3 }, { Bucket: bucket, Prefix: prefix });
    await callAws(`ListObjectsV2 s3://${bucket}/${prefix}`, async () => {
      for await (const page of pages) {
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          found.push({
            bucket,
            key: item.Key,
            size: item.Size ?? 0,
            etag: stripQuotes(item.ETag ?? ''),
            lastModified: (item.LastModified ?? new Date(0)).toISOString(),
          });
        }
      }
    });
    return found;
  }

  public async delete(refs: readonly ObjectRef[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const ref of refs) byBucket.set(ref.bucket, [...(byBucket.get(ref.bucket) ?? []), ref.key]);
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        await callAws(`DeleteObjects s3://${bucket}`, () =>
          this.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
        );
      }
    }
  }

  /**
   * S3 has no rename: CopyObject, then DeleteObject. A crash between the two leaves both, and the ingest's commit
   * record moves it again (see core/ingest/source-commit.ts). CopyObject copies up to 5 GB in one request; curated
   * part files are far below that (a Lambda's disk holds 10 GB in all).
   */
  public async move(from: ObjectRef, to: ObjectRef): Promise<void> {
    await this.copy(from, to);
    await callAws(`DeleteObject s3://${from.bucket}/${from.key}`, () => this.s3.send(new DeleteObjectCommand({ Bucket: from.bucket, Key: from.key })));
  }

  public async deletePrefix(bucket: string, prefix: string): Promise<void> {
    if (prefix === '') throw new Error(`Refusing to delete the whole bucket "${bucket}"`);
    await this.delete(await this.list(bucket, prefix));
  }

  private async get(ref: ObjectRef): Promise<unknown> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return out.Body;
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(`s3://${ref.bucket}/${ref.key} does not exist`, { cause: error });
      throw classifyAwsError(error, `GetObject s3://${ref.bucket}/${ref.key}`);
    }
  }
}

function stripQuotes(etag: string): string {
  return etag.replaceAll('"', '');
}

/** HeadObject answers a missing key with a bare 404, NotFound; GetObject with NoSuchKey. */
function isMissing(error: unknown): boolean {
  return isAwsError(error, ['NotFound', 'NoSuchKey']);
}
