import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { once } from './shared.js';

/**
 * The S3 object store, made once, and only by the functions whose steps read or write the lake (ingest, the feature
 * query, SmokeTest's sample rows, RecordFailure). Its own module, so the other functions' bundles hold no S3 client.
 */
export const s3Store = once(() => new S3ObjectStore(new S3Client({})));
