import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TerminalStepError } from '../../core/errors.js';
import type { Candidate, ModelRegistry, ModelVersion } from '../../core/ports/model-registry.js';
import type { FolderObjectStore } from './folder-object-store.js';
import { lakeLockFile, withLock } from '../runtime/pipeline-lock.js';

/**
 * The local model registry: one JSON record per model version under `registry/<pipeline>/` in the lake, with the
 * fields of a SageMaker model package. The production model is the newest approved version.
 *
 * Runs of one pipeline may register at the same time: registering holds the pipeline's registry lock, and a version
 * number is taken by creating its record exclusively (a hard link, which never overwrites), so two runs can never both
 * get version N.
 */
export class LocalRegistry implements ModelRegistry {
  public constructor(
    private readonly store: FolderObjectStore,
    private readonly bucket: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  public async register(candidate: Candidate): Promise<ModelVersion> {
    return this.locked(candidate.pipeline, 'registering a model version', async () => {
      const versions = await this.versions(candidate.pipeline);
      const existing = versions.find((v) => v.runId === candidate.runId && v.modelArtifact === candidate.modelArtifact);
      if (existing) return existing;
      for (let version = (versions.at(-1)?.version ?? 0) + 1; ; version++) {
        const record: ModelVersion = {
          ...candidate,
          version,
          id: `local:${candidate.pipeline}/${version}`,
          status: 'PendingManualApproval',
          createdAt: this.clock().toISOString(),
        };
        // Taken by a writer that does not hold the lock (an older sluice): try the next number.
        if (await this.create(record)) return record;
      }
    });
  }

  public async production(pipeline: string): Promise<ModelVersion | undefined> {
    return (await this.versions(pipeline)).filter((v) => v.status === 'Approved').at(-1);
  }

  public async decide(version: ModelVersion, status: 'Approved' | 'Rejected', reason: string): Promise<void> {
    await this.locked(version.pipeline, `recording a decision on version ${version.version}`, () =>
      this.write({ ...version, status, lineage: { ...version.lineage, decision: reason } }),
    );
  }

  /**
   * Every version of a pipeline, oldest first.
   * @throws CorruptRegistryRecordError naming the file when a record is not a model version's JSON
   */
  public async versions(pipeline: string): Promise<ModelVersion[]> {
    const objects = (await this.store.list(this.bucket, `registry/${pipeline}/`)).filter((o) => o.key.endsWith('.json'));
    const records = await Promise.all(objects.map(async (o) => ({ file: this.store.pathOf(o), text: await this.store.getText(o) })));
    return records
      .flatMap(({ file, text }) => (text === undefined ? [] : [parseRecord(file, text)]))
      .sort((a, b) => a.version - b.version);
  }

  /** The file of a version's record. */
  public recordFile(pipeline: string, version: number): string {
    return this.store.pathOf({ bucket: this.bucket, key: recordKey(pipeline, version) });
  }

  private locked<T>(pipeline: string, purpose: string, fn: () => Promise<T>): Promise<T> {
    // The bucket's folder is `<lake>/<bucket>`: the lock lives beside it, in `<lake>/.locks/`, not among the objects.
    const lakeRoot = path.dirname(this.store.pathOf({ bucket: this.bucket, key: '' }));
    return withLock(lakeLockFile(lakeRoot, `registry-${pipeline}`), purpose, fn);
  }

  /**
   * Creates a new version's record exclusively; false when that version exists already. The record is written in
   * full to a temporary file and hard-linked to its name: `link` never overwrites, and a reader never sees half of it.
   */
  private async create(record: ModelVersion): Promise<boolean> {
    const file = this.recordFile(record.pipeline, record.version);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
    try {
      await link(temporary, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  private async write(record: ModelVersion): Promise<void> {
    await this.store.putText({ bucket: this.bucket, key: recordKey(record.pipeline, record.version) }, `${JSON.stringify(record, null, 2)}\n`);
  }
}

/**
 * A registry record that cannot be read as a model version (cut short, edited by hand, from another tool). Terminal:
 * reading it again gives the same bytes. The message names the file, so it can be restored or removed.
 */
export class CorruptRegistryRecordError extends TerminalStepError {
  public override readonly name = 'CorruptRegistryRecordError';
}

function parseRecord(file: string, text: string): ModelVersion {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CorruptRegistryRecordError(`${file}: the registry record is not valid JSON (${reason}); restore it or remove it`, { cause });
  }
  // The fields every reader sorts and filters on; the rest is the registering step's business.
  if (!isRecordShape(record)) {
    throw new CorruptRegistryRecordError(`${file}: the registry record lacks a numeric "version", a "status" or a "pipeline"; restore it or remove it`);
  }
  return record;
}

function isRecordShape(record: unknown): record is ModelVersion {
  if (typeof record !== 'object' || record === null) return false;
  const fields = record as Record<string, unknown>;
  return Number.isInteger(fields['version']) && typeof fields['status'] === 'string' && typeof fields['pipeline'] === 'string';
}

function recordKey(pipeline: string, version: number): string {
  return `registry/${pipeline}/v${String(version).padStart(6, '0')}.json`;
}
