import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '../../core/errors.js';
import type { LocalCopy, ObjectInfo, ObjectRef, ObjectStore } from '../../core/ports/object-store.js';
import { callAws, callAwsTolerating, classifyAwsError, isAwsError } from './aws-errors.js';

const DELETE_BATCH = 1000; // DeleteObjects takes at most 1,000 keys a request.

const GIB = 1024 ** 3;
/**
 * The largest object one CopyObject copies: "You can copy objects less than 5 GB in a single operation ... For copying
 * objects greater than 5 GB, you must use multipart upload API" (S3 user guide, "Copying an object using multipart
 * upload", https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjctsMPUapi.html). Above it, the copy is
 * CreateMultipartUpload + UploadPartCopy + CompleteMultipartUpload.
 */
export const SINGLE_COPY_LIMIT = 5 * GIB;
/**
 * Part size of a multipart copy. S3 takes parts of 5 MiB to 5 GiB (the last one may be smaller) and at most 10,000
 * parts an upload, for objects up to 48.8 TiB ("Amazon S3 multipart upload limits",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): 512 MiB parts cover 5 TiB in 10,000 parts;
 * a larger object gets parts of size / 10,000 rounded up, still below the 5 GiB cap up to 48.8 TiB.
 */
export const COPY_PART_SIZE = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;

/** The object store on S3. Objects are streamed to and from disk, never held whole in memory. */
export class S3ObjectStore implements ObjectStore {
  public constructor(private readonly s3: S3Client) {}

  public async head(ref: ObjectRef): Promise<ObjectInfo | undefined> {
    const out = await callAwsTolerating(
      `HeadObject s3://${ref.bucket}/${ref.key}`,
      () => this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) })),
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

  /** One CopyObject up to 5 GB; a multipart copy above (see SINGLE_COPY_LIMIT). */
  public async copy(from: ObjectRef, to: ObjectRef): Promise<void> {
    const size = (await this.head(from))?.size;
    if (size !== undefined && size > SINGLE_COPY_LIMIT) {
      await this.copyInParts(from, to, size);
      return;
    }
    await callAws(`CopyObject s3://${from.bucket}/${from.key}`, () =>
      this.s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: copySource(from) })),
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
   * record moves it again (see core/ingest/source-commit.ts). `copy` copies in parts above 5 GB, so an upload of any
   * size can be archived.
   */
  public async move(from: ObjectRef, to: ObjectRef): Promise<void> {
    await this.copy(from, to);
    await callAws(`DeleteObject s3://${from.bucket}/${from.key}`, () => this.s3.send(new DeleteObjectCommand({ Bucket: from.bucket, Key: from.key })));
  }

  public async deletePrefix(bucket: string, prefix: string): Promise<void> {
    if (prefix === '') throw new Error(`Refusing to delete the whole bucket "${bucket}"`);
    await this.delete(await this.list(bucket, prefix));
  }

  /**
   * A multipart copy: UploadPartCopy of consecutive byte ranges (`x-amz-copy-source-range`, inclusive), then
   * CompleteMultipartUpload with every part's ETag in order. Any failure aborts the upload, so no invisible parts are
   * left to bill ("AbortMultipartUpload": the storage of uploaded parts is freed).
   */
  private async copyInParts(from: ObjectRef, to: ObjectRef, size: number): Promise<void> {
    const what = `multipart copy s3://${from.bucket}/${from.key} to s3://${to.bucket}/${to.key}`;
    const partSize = Math.max(COPY_PART_SIZE, Math.ceil(size / MAX_PARTS));
    const created = await callAws(what, () => this.s3.send(new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: to.key })));
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`${what}: CreateMultipartUpload returned no UploadId`);
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber += 1) {
        const end = Math.min(start + partSize, size) - 1;
        const out = await callAws(what, () =>
          this.s3.send(
            new UploadPartCopyCommand({
              Bucket: to.bucket,
              Key: to.key,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySource(from),
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          ),
        );
        parts.push({ PartNumber: partNumber, ETag: out.CopyPartResult?.ETag });
      }
      await callAws(what, () =>
        this.s3.send(new CompleteMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
      );
    } catch (error) {
      await callAwsTolerating(
        `AbortMultipartUpload s3://${to.bucket}/${to.key}`,
        () => this.s3.send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId })),
        (abortError) => isAwsError(abortError, 'NoSuchUpload'),
      ).catch(() => undefined); // The copy's own error is the one to report; a failed abort leaves parts a lifecycle rule ends.
      throw error;
    }
  }

  private async get(ref: ObjectRef): Promise<unknown> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }));
      return out.Body;
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(`s3://${ref.bucket}/${ref.key} does not exist`, { cause: error });
      throw classifyAwsError(error, `GetObject s3://${ref.bucket}/${ref.key}`);
    }
  }
}

/**
 * `x-amz-copy-source`: the bucket and the URL-encoded key, its slashes kept, and `?versionId=` when the reference names
 * a version ("To copy a specific version of an object, append ?versionId=<version-id> to the value", S3 API reference,
 * CopyObject, x-amz-copy-source; the same header as UploadPartCopy's).
 */
function copySource(ref: ObjectRef): string {
  const source = `${ref.bucket}/${encodeURIComponent(ref.key).replaceAll('%2F', '/')}`;
  return ref.versionId ? `${source}?versionId=${encodeURIComponent(ref.versionId)}` : source;
}

/**
 * `VersionId` of HeadObject and GetObject when the reference names a version: the bytes of the event's version, not of
 * a later overwrite of the key. Reading a version takes s3:GetObjectVersion (deploy/functions.js).
 */
function versionOf(ref: ObjectRef): { VersionId?: string } {
  return ref.versionId ? { VersionId: ref.versionId } : {};
}

function stripQuotes(etag: string): string {
  return etag.replaceAll('"', '');
}

/** HeadObject answers a missing key with a bare 404, NotFound; GetObject with NoSuchKey. */
function isMissing(error: unknown): boolean {
  return isAwsError(error, ['NotFound', 'NoSuchKey']);
}
