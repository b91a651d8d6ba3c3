/** An object in the store: an S3 bucket and key, or locally a file under `<root>/<bucket>/<key>`. */
export interface ObjectRef {
  bucket: string;
  key: string;
  /**
   * The version to read, when the reference names one (an upload event's version): head, localCopy and the source of
   * copy and move read that version, not whatever was written to the key since. Writes and deletes ignore it; the local
   * store, which keeps no versions, ignores it too.
   */
  versionId?: string | undefined;
}

/** What the store knows about an object. */
export interface ObjectInfo extends ObjectRef {
  size: number;
  etag: string;
  lastModified: string;
}

/** A local file standing for an object while a step works on it. */
export interface LocalCopy {
  path: string;
  /** Removes the temporary file, if one was made. */
  release(): Promise<void>;
}

/**
 * The object store port. In AWS it is S3; locally, a folder. Steps address the lake by bucket and key and never
 * learn which one they talk to.
 */
export interface ObjectStore {
  /** Metadata of an object, or undefined when there is none. */
  head(ref: ObjectRef): Promise<ObjectInfo | undefined>;
  /** Makes the object available as a local file (S3: streamed into `workDir`; locally: the file itself). */
  localCopy(ref: ObjectRef, workDir: string): Promise<LocalCopy>;
  /** Stores a local file as an object, streaming it. */
  putFile(path: string, ref: ObjectRef, contentType?: string): Promise<void>;
  /** Stores a small text object (JSON manifests, records). */
  putText(ref: ObjectRef, body: string, contentType?: string): Promise<void>;
  /** Reads a small text object, or undefined when there is none. */
  getText(ref: ObjectRef): Promise<string | undefined>;
  /** Copies an object within the store. */
  copy(from: ObjectRef, to: ObjectRef): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(bucket: string, prefix: string): Promise<ObjectInfo[]>;
  /** Deletes objects; missing ones are not an error. */
  delete(refs: readonly ObjectRef[]): Promise<void>;
  /** Moves an object within a bucket (locally a rename; S3 has none: CopyObject then DeleteObject). */
  move(from: ObjectRef, to: ObjectRef): Promise<void>;
  /**
   * Deletes every object whose key starts with `prefix` (a folder when it ends with "/"), with, locally, any partial
   * write a killed process left among them.
   */
  deletePrefix(bucket: string, prefix: string): Promise<void>;
}
