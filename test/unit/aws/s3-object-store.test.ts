import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { COPY_PART_SIZE, S3ObjectStore, SINGLE_COPY_LIMIT } from '../../../aws/adapters/s3-object-store.js';

const s3 = mockClient(S3Client);

describe('S3ObjectStore', () => {
  const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));

  beforeEach(() => {
    s3.reset();
  });

  describe('head', () => {
    it('returns size, unquoted ETag, version and date when the object exists', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"abc"', VersionId: 'v1', LastModified: new Date('2026-11-20T10:00:00Z') });

      // Act
      const info = await store.head({ bucket: 'lake', key: 'incoming/a.csv' });

      // Assess
      expect(info).toEqual({ bucket: 'lake', key: 'incoming/a.csv', size: 42, etag: 'abc', versionId: 'v1', lastModified: '2026-11-20T10:00:00.000Z' });
      expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'lake', Key: 'incoming/a.csv' });
    });

    it('returns undefined when S3 answers NotFound', async () => {
      // Prepare
      s3.on(HeadObjectCommand).rejects(Object.assign(new Error('nf'), { name: 'NotFound' }));

      // Act / Assess
      await expect(store.head({ bucket: 'lake', key: 'x' })).resolves.toBeUndefined();
    });
  });

  describe('localCopy', () => {
    it('streams the object into the work folder when asked for a local file', async () => {
      // Prepare
      const dir = await mkdtemp(path.join(tmpdir(), 's3-store-'));
      // The SDK's body is a Node Readable with helpers; the store only pipes it.
      s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('a,b\n1,2\n')]) as never });

      // Act
      const copy = await store.localCopy({ bucket: 'lake', key: 'incoming/orders/x.csv' }, dir);

      // Assess
      expect(await readFile(copy.path, 'utf8')).toBe('a,b\n1,2\n');
      expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'lake', Key: 'incoming/orders/x.csv' });
      await copy.release();
    });

    it('throws ObjectNotFoundError naming the object when the key is missing', async () => {
      // Prepare
      s3.on(GetObjectCommand).rejects(Object.assign(new Error('no'), { name: 'NoSuchKey' }));

      // Act / Assess
      await expect(store.localCopy({ bucket: 'lake', key: 'gone.csv' }, tmpdir())).rejects.toMatchObject({
        name: 'ObjectNotFoundError',
        message: 's3://lake/gone.csv does not exist',
      });
    });
  });

  describe('writes', () => {
    it('sends the file with its length and content type when putting a file', async () => {
      // Prepare
      const file = path.join(await mkdtemp(path.join(tmpdir(), 's3-store-')), 'p.parquet');
      await writeFile(file, 'PAR1');
      s3.on(PutObjectCommand).resolves({});

      // Act
      await store.putFile(file, { bucket: 'lake', key: 'curated/x/p.parquet' }, 'application/vnd.apache.parquet');

      // Assess
      const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect(input).toMatchObject({ Bucket: 'lake', Key: 'curated/x/p.parquet', ContentLength: 4, ContentType: 'application/vnd.apache.parquet' });
    });

    it('URL-encodes the copy source but keeps its slashes when copying', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves({});

      // Act
      await store.copy({ bucket: 'lake', key: 'incoming/orders/my file.csv' }, { bucket: 'lake', key: 'raw/orders/my file.csv' });

      // Assess
      expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: 'lake',
        Key: 'raw/orders/my file.csv',
        CopySource: 'lake/incoming/orders/my%20file.csv',
      });
    });

    it('deletes in batches of 1,000 keys when deleting many objects', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand).resolves({});
      const refs = Array.from({ length: 2001 }, (_, i) => ({ bucket: 'lake', key: `curated/x/${i}.parquet` }));

      // Act
      await store.delete(refs);

      // Assess
      const calls = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length);
      expect(calls).toEqual([1000, 1000, 1]);
    });
  });

  describe('list', () => {
    it('follows continuation tokens when the listing has several pages', async () => {
      // Prepare
      s3.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: 'curated/x/' })
        .resolvesOnce({ Contents: [{ Key: 'curated/x/a', Size: 1, ETag: '"1"' }], IsTruncated: true, NextContinuationToken: 't' })
        .resolvesOnce({ Contents: [{ Key: 'curated/x/b', Size: 2, ETag: '"2"' }], IsTruncated: false });

      // Act
      const listed = await store.list('lake', 'curated/x/');

      // Assess
      expect(listed.map((o) => o.key)).toEqual(['curated/x/a', 'curated/x/b']);
      expect(s3.commandCalls(ListObjectsV2Command)[1]?.args[0].input.ContinuationToken).toBe('t');
    });
  });

  describe('move (the ingest commit, S3 having no rename)', () => {
    it('copies the staged object to its final key, then deletes the staged one, when moving an object', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves({});
      s3.on(DeleteObjectCommand).resolves({});

      // Act
      await store.move({ bucket: 'lake', key: 'ingest/o/staging/r-h/curated/o/a b.parquet' }, { bucket: 'lake', key: 'curated/o/a b.parquet' });

      // Assess
      expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'lake', Key: 'curated/o/a b.parquet', CopySource: 'lake/ingest/o/staging/r-h/curated/o/a%20b.parquet' },
      ]);
      expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: 'ingest/o/staging/r-h/curated/o/a b.parquet' }]);
    });

    it('keeps the staged object when the copy fails', async () => {
      // Prepare
      s3.on(CopyObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));

      // Act
      const moved = store.move({ bucket: 'lake', key: 'ingest/o/staging/a' }, { bucket: 'lake', key: 'curated/o/a' });

      // Assess
      await expect(moved).rejects.toThrow();
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });
  });

  describe('a reference that names a version (an upload event)', () => {
    const ref = { bucket: 'lake', key: 'incoming/orders/a b.csv', versionId: 'v 1' };

    it('heads that version when the reference names one', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"', VersionId: 'v 1' });

      // Act
      await store.head(ref);

      // Assess
      expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'lake', Key: 'incoming/orders/a b.csv', VersionId: 'v 1' });
    });

    it('reads that version when copying it to a local file', async () => {
      // Prepare
      s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('x')]) as never });

      // Act
      const copy = await store.localCopy(ref, await mkdtemp(path.join(tmpdir(), 's3-store-')));

      // Assess
      expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'lake', Key: 'incoming/orders/a b.csv', VersionId: 'v 1' });
      await copy.release();
    });

    it('copies that version, and writes the destination without one, when archiving', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"' });
      s3.on(CopyObjectCommand).resolves({});

      // Act
      await store.copy(ref, { bucket: 'lake', key: 'raw/orders/a b.csv' });

      // Assess
      expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: 'lake',
        Key: 'raw/orders/a b.csv',
        CopySource: 'lake/incoming/orders/a%20b.csv?versionId=v%201',
      });
    });
  });

  describe('copy above 5 GB (CopyObject refuses it)', () => {
    const from = { bucket: 'lake', key: 'incoming/orders/big file.csv' };
    const to = { bucket: 'lake', key: 'raw/orders/big file.csv' };
    const size = SINGLE_COPY_LIMIT + 1;

    it('copies in parts of consecutive byte ranges and completes with their ETags when the object is over 5 GB', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: size, ETag: '"e"' });
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
      s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber?: number }) => ({ CopyPartResult: { ETag: `"p${String(input.PartNumber)}"` } }));
      s3.on(CompleteMultipartUploadCommand).resolves({});

      // Act
      await store.copy(from, to);

      // Assess
      const partCount = Math.ceil(size / COPY_PART_SIZE);
      const parts = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input);
      expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
      expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({ Bucket: 'lake', Key: 'raw/orders/big file.csv' });
      expect(parts).toHaveLength(partCount);
      expect(parts[0]).toEqual({
        Bucket: 'lake',
        Key: 'raw/orders/big file.csv',
        UploadId: 'u1',
        PartNumber: 1,
        CopySource: 'lake/incoming/orders/big%20file.csv',
        CopySourceRange: `bytes=0-${COPY_PART_SIZE - 1}`,
      });
      expect(parts.at(-1)?.CopySourceRange).toBe(`bytes=${(partCount - 1) * COPY_PART_SIZE}-${size - 1}`);
      expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toEqual({
        Bucket: 'lake',
        Key: 'raw/orders/big file.csv',
        UploadId: 'u1',
        MultipartUpload: { Parts: Array.from({ length: partCount }, (_, i) => ({ PartNumber: i + 1, ETag: `"p${i + 1}"` })) },
      });
    });

    it('aborts the upload and keeps the source when a part copy fails', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: size, ETag: '"e"' });
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
      s3.on(UploadPartCopyCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
      s3.on(AbortMultipartUploadCommand).resolves({});

      // Act
      const moved = store.move(from, to);

      // Assess
      await expect(moved).rejects.toThrow();
      expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: 'raw/orders/big file.csv', UploadId: 'u1' }]);
      expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });

    it('copies with one CopyObject when the object is exactly 5 GB', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ ContentLength: SINGLE_COPY_LIMIT, ETag: '"e"' });
      s3.on(CopyObjectCommand).resolves({});

      // Act
      await store.copy(from, to);

      // Assess
      expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(1);
      expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    });
  });

  describe('deletePrefix', () => {
    it('lists the prefix and deletes what it found when deleting a staging folder', async () => {
      // Prepare
      s3.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: 'ingest/o/staging/r-h/' }).resolves({ Contents: [{ Key: 'ingest/o/staging/r-h/a' }, { Key: 'ingest/o/staging/r-h/b' }] });
      s3.on(DeleteObjectsCommand).resolves({});

      // Act
      await store.deletePrefix('lake', 'ingest/o/staging/r-h/');

      // Assess
      expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'lake', Delete: { Objects: [{ Key: 'ingest/o/staging/r-h/a' }, { Key: 'ingest/o/staging/r-h/b' }], Quiet: true } },
      ]);
    });

    it('refuses an empty prefix rather than emptying the bucket', async () => {
      // Act
      const emptied = store.deletePrefix('lake', '');

      // Assess
      await expect(emptied).rejects.toThrow('Refusing to delete the whole bucket "lake"');
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    });
  });
});
