import { createHash } from 'node:crypto';
import { CreateModelPackageCommand, DescribeModelPackageCommand, UpdateModelPackageCommand, paginateListModelPackages } from '@aws-sdk/client-sagemaker';
import type { CreateModelPackageCommandInput, DescribeModelPackageOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { TerminalStepError, TransientServiceError } from '../../core/errors.js';
import type { ApprovalStatus, Candidate, ModelRegistry, ModelVersion } from '../../core/ports/model-registry.js';
import type { TrainingAlgorithm } from '../../core/ports/trainer.js';
import { RESOURCE_NAME_MAX, isSageMakerName } from '../../core/run/job-names.js';
import { callAws } from './aws-errors.js';

/** Options of {@link SageMakerRegistry}. */
export interface SageMakerRegistryOptions {
  /** Prefix of every model package group name: a pipeline's group is `<groupPrefix><pipeline>` (made by serverless.yml). */
  groupPrefix: string;
}

/** A candidate the model registry cannot record as it is; the message says what to change. */
export class InvalidCandidateError extends TerminalStepError {
  public override readonly name = 'InvalidCandidateError';
}

/**
 * Limits of CreateModelPackage, from the service model as published in the AWS::SageMaker::ModelPackage registry schema
 * (https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-sagemaker/blob/main/aws-sagemaker-modelpackage/aws-sagemaker-modelpackage.json):
 * CustomerMetadataProperties holds 1 to 50 entries, keys of 1 to 128 and values of 1 to 256 characters, both matching
 * `^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)$`.
 */
export const METADATA_MAX_ENTRIES = 50;
/** See {@link METADATA_MAX_ENTRIES}. */
export const METADATA_KEY_MAX = 128;
/** See {@link METADATA_MAX_ENTRIES}. */
export const METADATA_VALUE_MAX = 256;
/** ModelPackageDescription and ApprovalDescription: at most 1024 characters (same schema as {@link METADATA_MAX_ENTRIES}). */
export const DESCRIPTION_MAX = 1024;

/** Versions {@link SageMakerRegistry.versions} reads: one ListModelPackages page, and one DescribeModelPackage each. */
export const REPORT_VERSIONS_MAX = 50;

/** Metadata key holding the run id of the run that registered the version. */
export const RUN_KEY = 'sluice:run';
/** Prefix of the metadata keys holding the candidate's metrics, one entry per metric. */
export const METRIC_PREFIX = 'sluice:metric:';
/** Prefix of the metadata keys holding the candidate's lineage, one entry per lineage item. */
export const LINEAGE_PREFIX = 'sluice:lineage:';

/**
 * What the built-in XGBoost container reads: "XGBoost ... only supports text/csv from this list, but also supports
 * text/libsvm" (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html). application/json is not an input
 * format of the algorithm.
 */
export const SUPPORTED_CONTENT_TYPES: readonly string[] = ['text/csv', 'text/libsvm'];
/**
 * What it answers: the container encodes predictions as text/csv by default and as application/json on request
 * (`encode_selected_predictions` in src/sagemaker_xgboost_container/algorithm_mode/serve_utils.py of
 * aws/sagemaker-xgboost-container). InferenceSpecification requires both lists; the instance type lists are optional
 * for versioned packages (AWS::SageMaker::ModelPackage InferenceSpecification, "optional for versioned models").
 */
export const SUPPORTED_RESPONSE_TYPES: readonly string[] = ['text/csv', 'application/json'];

/**
 * What BlazingText's text classification endpoint reads and answers: `application/json`, `{"instances": [...],
 * "configuration": {"k": N}}` in, `[{"label": [...], "prob": [...]}]` out, and for JSON "content-type and accept must
 * be equal" (SageMaker developer guide, BlazingText algorithm, Inference; docs/research-notes-text.md).
 */
export const BLAZINGTEXT_CONTENT_TYPES: readonly string[] = ['application/json'];

/** The content types a model package declares for a candidate of `algorithm` (absent: XGBoost, as before text). */
export function contentTypesOf(algorithm: TrainingAlgorithm | undefined): { request: readonly string[]; response: readonly string[] } {
  return algorithm === 'blazingtext'
    ? { request: BLAZINGTEXT_CONTENT_TYPES, response: BLAZINGTEXT_CONTENT_TYPES }
    : { request: SUPPORTED_CONTENT_TYPES, response: SUPPORTED_RESPONSE_TYPES };
}

// The characters a metadata key or value may hold, `=` excepted: it starts an escape (see encodeMetadataText).
const METADATA_SAFE = /^[\p{L}\p{Z}\p{N}_.:/+\-@]$/u;
const ESCAPE_RUN = /(?:=[0-9A-F]{2})+/g;
const TRUNCATED = '...';

/**
 * The model registry on the SageMaker Model Registry: one model package group per pipeline, one versioned model
 * package per registered candidate.
 *
 * - Metrics and lineage go in CustomerMetadataProperties as strings (`sluice:metric:<name>`, `sluice:lineage:<key>`,
 *   `sluice:run`). ModelMetrics is not used: each of its reports is a MetricsSource pointing at a JSON file in S3
 *   (ContentType and S3Uri required), which Sluice does not write, and the gate needs the numbers, not reports.
 * - Registering is idempotent by ClientToken, derived from the group and the run id: a retried state gets the version
 *   its first attempt created.
 * - The version number is the package's ModelPackageVersion, read back with DescribeModelPackage.
 */
export class SageMakerRegistry implements ModelRegistry {
  private readonly groupPrefix: string;

  public constructor(
    private readonly sagemaker: SageMakerClient,
    options: SageMakerRegistryOptions,
  ) {
    this.groupPrefix = options.groupPrefix;
  }

  public async register(candidate: Candidate): Promise<ModelVersion> {
    const group = this.groupName(candidate.pipeline);
    if (!isSageMakerName(group, RESOURCE_NAME_MAX)) {
      throw new InvalidCandidateError(
        `Model package group "${group}" must be 1 to ${RESOURCE_NAME_MAX} letters, digits and hyphens, starting and ending with a letter or digit`,
      );
    }
    const input: CreateModelPackageCommandInput = {
      ModelPackageGroupName: group,
      ModelPackageDescription: describeCandidate(candidate),
      InferenceSpecification: {
        Containers: [{ Image: candidate.image, ModelDataUrl: candidate.modelArtifact }],
        SupportedContentTypes: [...contentTypesOf(candidate.algorithm).request],
        SupportedResponseMIMETypes: [...contentTypesOf(candidate.algorithm).response],
      },
      ModelApprovalStatus: 'PendingManualApproval',
      CustomerMetadataProperties: customerMetadata(candidate),
      ClientToken: registrationToken(group, candidate.runId),
    };
    const out = await callAws(`CreateModelPackage in group ${group}`, () => this.sagemaker.send(new CreateModelPackageCommand(input)));
    // Never seen in practice; retrying is safe because the same ClientToken returns the same package.
    if (!out.ModelPackageArn) throw new TransientServiceError(`CreateModelPackage in group ${group} returned no ModelPackageArn`);
    return this.describe(candidate.pipeline, out.ModelPackageArn);
  }

  public async production(pipeline: string): Promise<ModelVersion | undefined> {
    const group = this.groupName(pipeline);
    const arn = await callAws(`ListModelPackages in group ${group}`, () => this.newestApproved(group));
    return arn ? this.describe(pipeline, arn) : undefined;
  }

  public async decide(version: ModelVersion, status: 'Approved' | 'Rejected', reason: string): Promise<void> {
    await callAws(`UpdateModelPackage ${version.id}`, () =>
      this.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: version.id,
          ModelApprovalStatus: status,
          ApprovalDescription: approvalDescription(reason),
        }),
      ),
    );
  }

  /**
   * The group's newest {@link REPORT_VERSIONS_MAX} versions, oldest first, for the run report's versions-over-time plot.
   * ListModelPackages sorts by CreationTime and pages up to 100 (MaxResults 1 to 100; SageMaker API reference,
   * ListModelPackages); each version's metrics and lineage are in its CustomerMetadataProperties, which only
   * DescribeModelPackage returns, so one Describe per version, at most {@link REPORT_VERSIONS_MAX}.
   */
  public async versions(pipeline: string): Promise<ModelVersion[]> {
    const group = this.groupName(pipeline);
    const arns = await callAws(`ListModelPackages in group ${group}`, async () => {
      const found: string[] = [];
      const pages = paginateListModelPackages(
        { client: this.sagemaker, pageSize: REPORT_VERSIONS_MAX },
        { ModelPackageGroupName: group, SortBy: 'CreationTime', SortOrder: 'Descending' },
      );
      for await (const page of pages) {
        for (const summary of page.ModelPackageSummaryList ?? []) if (summary.ModelPackageArn && found.length < REPORT_VERSIONS_MAX) found.push(summary.ModelPackageArn);
        if (found.length >= REPORT_VERSIONS_MAX) break;
      }
      return found;
    });
    const versions = await Promise.all(arns.map((arn) => this.describe(pipeline, arn)));
    return versions.sort((a, b) => a.version - b.version);
  }

  private groupName(pipeline: string): string {
    return `${this.groupPrefix}${pipeline}`;
  }

  /**
   * The ARN of the group's newest approved package. Only the first package listed is needed, so pages hold one; the
   * paginator still reads on while a page holds none but carries a NextToken, as a filtered AWS list may answer.
   */
  private async newestApproved(group: string): Promise<string | undefined> {
    const pages = paginateListModelPackages(
      { client: this.sagemaker, pageSize: 1 },
      { ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending' },
    );
    for await (const page of pages) {
      const arn = page.ModelPackageSummaryList?.[0]?.ModelPackageArn;
      if (arn) return arn;
    }
    return undefined;
  }

  private async describe(pipeline: string, arn: string): Promise<ModelVersion> {
    const out = await callAws(`DescribeModelPackage ${arn}`, () => this.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn })));
    return toModelVersion(pipeline, arn, out);
  }
}

/**
 * The ClientToken of a registration: 36 characters of `[a-zA-Z0-9-]` (the ClientToken constraint in the schema cited at
 * {@link METADATA_MAX_ENTRIES}), UUID-shaped, from the SHA-256 of the group and the run id. The same run registering in
 * the same group always sends the same token.
 */
export function registrationToken(group: string, runId: string): string {
  const hex = createHash('sha256').update(JSON.stringify([group, runId]), 'utf8').digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

/**
 * Makes any text fit the metadata character set, reversibly: characters outside it, and `=` itself, become the
 * `=XX` hex escapes of their UTF-8 bytes (so `s3://b/k?v=1` becomes `s3://b/k=3Fv=3D1`). Text already inside the set,
 * which is nearly all of it (names, ids, numbers, S3 URIs), passes unchanged.
 */
export function encodeMetadataText(text: string): string {
  let encoded = '';
  for (const char of text) {
    if (METADATA_SAFE.test(char)) {
      encoded += char;
    } else {
      for (const byte of new TextEncoder().encode(char)) encoded += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return encoded;
}

/** The inverse of {@link encodeMetadataText}. */
export function decodeMetadataText(text: string): string {
  return text.replace(ESCAPE_RUN, (run) => new TextDecoder().decode(Uint8Array.from(run.slice(1).split('='), (hex) => parseInt(hex, 16))));
}

/**
 * The CustomerMetadataProperties of a candidate: its run id, its metrics and its lineage. A key that does not fit, or
 * more than {@link METADATA_MAX_ENTRIES} entries, fails the registration; a value longer than
 * {@link METADATA_VALUE_MAX} characters once encoded is cut and ends with `...` (the run manifest keeps it whole); an
 * empty lineage value is left out, since values take at least one character.
 */
export function customerMetadata(candidate: Candidate): Record<string, string> {
  if (candidate.runId === '') throw new InvalidCandidateError('The candidate has no run id');
  const entries: [string, string][] = [[RUN_KEY, candidate.runId]];
  for (const [name, value] of Object.entries(candidate.metrics)) entries.push([`${METRIC_PREFIX}${name}`, String(value)]);
  for (const [key, value] of Object.entries(candidate.lineage)) {
    if (value !== '') entries.push([`${LINEAGE_PREFIX}${key}`, value]);
  }
  if (entries.length > METADATA_MAX_ENTRIES) {
    throw new InvalidCandidateError(
      `The candidate of run ${candidate.runId} needs ${entries.length} metadata entries (run id, metrics, lineage); the registry holds at most ${METADATA_MAX_ENTRIES}`,
    );
  }
  const metadata: Record<string, string> = {};
  for (const [rawKey, rawValue] of entries) {
    const key = encodeMetadataText(rawKey);
    if (key.length > METADATA_KEY_MAX) {
      throw new InvalidCandidateError(`Metadata key "${rawKey}" is ${key.length} characters once encoded; the registry takes at most ${METADATA_KEY_MAX}`);
    }
    metadata[key] = fitValue(encodeMetadataText(rawValue));
  }
  return metadata;
}

function fitValue(encoded: string): string {
  if (encoded.length <= METADATA_VALUE_MAX) return encoded;
  // Never leave half an escape before the marker.
  return `${encoded.slice(0, METADATA_VALUE_MAX - TRUNCATED.length).replace(/=[0-9A-F]?$/, '')}${TRUNCATED}`;
}

/**
 * ModelPackageDescription takes `[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*`, at most 1024 characters: control characters
 * (a newline in a pipeline name, say) become spaces.
 */
function describeCandidate(candidate: Candidate): string {
  const text = `Sluice pipeline ${candidate.pipeline}, run ${candidate.runId}`.replace(/\p{C}+/gu, ' ');
  return truncate(text, DESCRIPTION_MAX);
}

/**
 * ApprovalDescription takes `.*`, at most 1024 characters. The service validates with Java regular expressions, where
 * `.` matches no line terminator: a multi-line reason would be refused, so line breaks become spaces.
 */
export function approvalDescription(reason: string): string {
  return truncate(reason.replace(/[\r\n\u0085\u2028\u2029]+/g, ' '), DESCRIPTION_MAX);
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair.
  return `${text.slice(0, max - TRUNCATED.length).replace(/[\uD800-\uDBFF]$/, '')}${TRUNCATED}`;
}

function toModelVersion(pipeline: string, arn: string, out: DescribeModelPackageOutput): ModelVersion {
  const version = out.ModelPackageVersion ?? versionFromArn(out.ModelPackageArn ?? arn);
  // A versioned package always has a version; one without is a package SageMaker has not finished describing.
  if (version === undefined) throw new TransientServiceError(`DescribeModelPackage ${arn} returned no ModelPackageVersion`);
  const container = out.InferenceSpecification?.Containers?.[0];
  const { runId, metrics, lineage } = readMetadata(out.CustomerMetadataProperties ?? {});
  return {
    pipeline,
    version,
    id: out.ModelPackageArn ?? arn,
    modelArtifact: container?.ModelDataUrl ?? '',
    image: container?.Image ?? '',
    metrics,
    status: approvalStatus(out.ModelApprovalStatus),
    runId,
    createdAt: out.CreationTime?.toISOString() ?? '',
    lineage,
  };
}

/** `arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>` → version. */
function versionFromArn(arn: string): number | undefined {
  const match = /\/(\d+)$/.exec(arn);
  return match?.[1] ? Number(match[1]) : undefined;
}

function approvalStatus(status: string | undefined): ApprovalStatus {
  return status === 'Approved' || status === 'Rejected' ? status : 'PendingManualApproval';
}

function readMetadata(properties: Record<string, string>): Pick<ModelVersion, 'runId' | 'metrics' | 'lineage'> {
  let runId = '';
  const metrics: Record<string, number> = {};
  const lineage: Record<string, string> = {};
  for (const [encodedKey, encodedValue] of Object.entries(properties)) {
    const key = decodeMetadataText(encodedKey);
    const value = decodeMetadataText(encodedValue);
    if (key === RUN_KEY) runId = value;
    else if (key.startsWith(METRIC_PREFIX)) metrics[key.slice(METRIC_PREFIX.length)] = Number(value);
    else if (key.startsWith(LINEAGE_PREFIX)) lineage[key.slice(LINEAGE_PREFIX.length)] = value;
  }
  return { runId, metrics, lineage };
}
