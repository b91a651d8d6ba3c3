import type { Candidate, ModelRegistry, ModelVersion } from '../../core/ports/model-registry.js';
import type { ObjectStore } from '../../core/ports/object-store.js';

/**
 * The local model registry: one JSON record per model version under `registry/<pipeline>/` in the lake, with the
 * fields of a SageMaker model package. The production model is the newest approved version.
 */
export class LocalRegistry implements ModelRegistry {
  public constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  public async register(candidate: Candidate): Promise<ModelVersion> {
    const versions = await this.versions(candidate.pipeline);
    const existing = versions.find((v) => v.runId === candidate.runId && v.modelArtifact === candidate.modelArtifact);
    if (existing) return existing;
    const version = (versions.at(-1)?.version ?? 0) + 1;
    const record: ModelVersion = {
      ...candidate,
      version,
      id: `local:${candidate.pipeline}/${version}`,
      status: 'PendingManualApproval',
      createdAt: this.clock().toISOString(),
    };
    await this.write(record);
    return record;
  }

  public async production(pipeline: string): Promise<ModelVersion | undefined> {
    return (await this.versions(pipeline)).filter((v) => v.status === 'Approved').at(-1);
  }

  public async decide(version: ModelVersion, status: 'Approved' | 'Rejected', reason: string): Promise<void> {
    await this.write({ ...version, status, lineage: { ...version.lineage, decision: reason } });
  }

  /** Every version of a pipeline, oldest first. */
  public async versions(pipeline: string): Promise<ModelVersion[]> {
    const objects = await this.store.list(this.bucket, `registry/${pipeline}/`);
    const records = await Promise.all(objects.filter((o) => o.key.endsWith('.json')).map((o) => this.store.getText(o)));
    return records
      .filter((t): t is string => t !== undefined)
      .map((t) => JSON.parse(t) as ModelVersion)
      .sort((a, b) => a.version - b.version);
  }

  private async write(record: ModelVersion): Promise<void> {
    const key = `registry/${record.pipeline}/v${String(record.version).padStart(6, '0')}.json`;
    await this.store.putText({ bucket: this.bucket, key }, `${JSON.stringify(record, null, 2)}\n`, 'application/json');
  }
}
