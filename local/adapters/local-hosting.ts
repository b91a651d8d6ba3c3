import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import type { EndpointInvoker, EndpointSpec, EndpointStatus, ModelHosting } from '../../core/ports/model-hosting.js';
import { writeModelPointer } from '../serving/model-pointer.js';
import type { TextServingSpec } from '../serving/text-serving-spec.js';
import { deploymentInFlight, endpointLockFile } from '../serving/production-guard.js';
import { TransientServiceError } from '../../core/errors.js';
import { currentProcess, withLock } from '../runtime/pipeline-lock.js';

/** What the local endpoint serves: written by Deploy, followed by the server. */
export interface ModelPointer {
  [field: string]: unknown;
  version: number;
  modelArtifact: string;
  endpointConfigName: string;
  modelName: string;
  deployedAt: string;
}

/** Starts (or finds) the HTTP server of an endpoint folder and returns its base URL. */
export type ServerLauncher = (endpointDir: string) => Promise<string>;

/** The folder of a local endpoint: its pointer file and its server's address. */
export function endpointDir(lakeRoot: string, endpointName: string): string {
  return path.join(lakeRoot, 'endpoints', endpointName);
}

/** Where an endpoint's pointer file lives. */
export function pointerFile(dir: string): string {
  return path.join(dir, 'pointer.json');
}

/** Writes an endpoint's pointer atomically (the server never reads half a file). */
export async function writePointer(dir: string, pointer: ModelPointer): Promise<void> {
  await writeModelPointer(pointerFile(dir), pointer);
}

/** Reads an endpoint's pointer, or undefined before its first deployment. */
export async function readPointer(dir: string): Promise<ModelPointer | undefined> {
  try {
    return JSON.parse(await readFile(pointerFile(dir), 'utf8')) as ModelPointer;
  } catch {
    return undefined;
  }
}

/** Options of {@link LocalHosting}. */
export interface LocalHostingOptions {
  readonly clock?: () => Date;
  /**
   * The registry folder of an endpoint's pipeline. Recorded in the pointer, it lets the server check that it serves
   * the production model (see `production-guard.ts`); without it the server serves whatever the pointer names.
   */
  readonly registryDirOf?: (endpointName: string) => string;
  /** How long a deployment waits for another run's deployment on the same endpoint to end (default 10 minutes). */
  readonly busyWaitMs?: number;
  /**
   * A text pipeline's feature SQL and contract, recorded in the pointer (`textNormalisation`) so the server normalises
   * raw texts exactly as training did; undefined for a tabular endpoint.
   */
  readonly textNormalisationOf?: (endpointName: string) => TextServingSpec | undefined;
  /** A pipeline's contract and scoring query, recorded in the pointer (`rawRecords`) so the server answers raw records. */
  readonly rawRecordsOf?: (endpointName: string) => RawServingSpec | undefined;
}

const BUSY_WAIT_MS = 600_000;
const BUSY_POLL_MS = 250;

/**
 * Local hosting: deploying writes the endpoint's pointer file and makes sure its HTTP server (SageMaker's container
 * contract on 127.0.0.1) is running; the server loads the new model and switches to it without dropping requests.
 * The endpoint is InService once the server reports the deployed version.
 *
 * One writer at a time: the pointer is written under the endpoint's lock (runs of one pipeline deploy one after the
 * other: a run waits while another run's candidate is on the endpoint, pending its smoke test and promotion, as
 * SageMaker refuses an update while one is in progress), and servers are started under a second lock, so one endpoint
 * gets one server. The pointer names the deploying process: if that process dies before the candidate
 * is promoted, the server puts the production model back.
 */
export class LocalHosting implements ModelHosting {
  private readonly clock: () => Date;
  /** This deployer (one per run): tells its own deployment in flight from another run's in the same process. */
  private readonly owner = randomBytes(8).toString('hex');

  public constructor(
    private readonly lakeRoot: string,
    private readonly localPath: (uri: string) => string,
    private readonly launch: ServerLauncher,
    private readonly options: LocalHostingOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  public async deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }> {
    const dir = endpointDir(this.lakeRoot, spec.endpointName);
    const registryDir = this.options.registryDirOf?.(spec.endpointName);
    const textNormalisation = this.options.textNormalisationOf?.(spec.endpointName);
    const rawRecords = this.options.rawRecordsOf?.(spec.endpointName);
    await mkdir(dir, { recursive: true });
    const deadline = Date.now() + (this.options.busyWaitMs ?? BUSY_WAIT_MS);
    for (;;) {
      const outcome = await withLock(endpointLockFile(dir), `deploying version ${spec.modelVersion} to ${spec.endpointName}`, async () => {
        const previous = await readPointer(dir);
        // Another run's candidate is on the endpoint and not yet promoted or rejected: as SageMaker refuses to update
        // an endpoint that is Updating, wait for that deployment to end rather than swap its model under its smoke test.
        const busy = await deploymentInFlight(previous, this.owner);
        if (busy) return { busy };
        await writePointer(dir, {
          version: spec.modelVersion,
          modelArtifact: spec.modelArtifact.startsWith('s3://') ? this.localPath(spec.modelArtifact) : spec.modelArtifact,
          endpointConfigName: spec.endpointConfigName,
          modelName: spec.modelName,
          deployedAt: this.clock().toISOString(),
          ...(registryDir === undefined ? {} : { registryDir, lakeRoot: this.lakeRoot, deployment: { ...currentProcess(), owner: this.owner } }),
          ...(textNormalisation === undefined ? {} : { textNormalisation }),
          ...(rawRecords === undefined ? {} : { rawRecords }),
        });
        return { operation: previous ? ('update' as const) : ('create' as const) };
      });
      if ('operation' in outcome) {
        await this.ensureServer(dir);
        return { operation: outcome.operation };
      }
      if (Date.now() >= deadline) {
        throw new TransientServiceError(
          `Endpoint ${spec.endpointName} is still deploying version ${outcome.busy.version} for another run (process ${outcome.busy.mark.pid}); version ${spec.modelVersion} was not deployed`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
    }
  }

  public async status(endpointName: string): Promise<EndpointStatus | undefined> {
    const dir = endpointDir(this.lakeRoot, endpointName);
    const pointer = await readPointer(dir);
    if (!pointer) return undefined;
    const url = await this.ensureServer(dir);
    const serving = await pingVersion(url);
    if (serving === pointer.version) return { state: 'InService', endpointConfigName: pointer.endpointConfigName, address: url };
    return { state: serving === undefined ? 'Creating' : 'Updating', address: url };
  }

  /** Starts the endpoint's server unless it runs; one starter at a time, so runs at once do not start two. */
  private ensureServer(dir: string): Promise<string> {
    return withLock(path.join(dir, '.launch.lock'), 'starting the endpoint server', () => this.launch(dir));
  }

  public async cleanup(): Promise<{ deleted: string[] }> {
    // Local models are the run's own artifacts under models/: nothing else to delete.
    return { deleted: [] };
  }
}

/** An answer of a local endpoint: status, content type and the body as text. */
interface LocalAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * One HTTP request to a local endpoint on 127.0.0.1, with node:http rather than `fetch`: a run makes a handful of
 * them, and `fetch`'s first call loads undici (measured here: 0.12 s for node:http's first request against 0.3 s for
 * fetch's, on a loaded 2-core machine), which is on the run's critical path between Deploy and SmokeTest.
 * @throws on a connection error or when no answer has come within `timeoutMs`
 */
function localRequest(url: string, options: { method: string; headers?: Record<string, string>; body?: string; timeoutMs: number }): Promise<LocalAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method, headers: options.headers ?? {}, timeout: options.timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.once('timeout', () => request.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`)));
    request.once('error', reject);
    request.end(options.body);
  });
}

async function pingVersion(url: string): Promise<number | undefined> {
  try {
    const answer = await localRequest(`${url}/ping`, { method: 'GET', timeoutMs: 2000 });
    if (answer.status !== 200) return undefined;
    const body = JSON.parse(answer.body) as { modelVersion?: unknown };
    return typeof body.modelVersion === 'number' ? body.modelVersion : undefined;
  } catch {
    return undefined;
  }
}

/** Invokes a local endpoint over HTTP, as the SageMaker runtime would. */
export const httpInvoker: EndpointInvoker = {
  async invoke(address, request) {
    const answer = await localRequest(`${address}/invocations`, {
      method: 'POST',
      headers: { 'content-type': request.contentType, accept: request.accept },
      body: request.body,
      timeoutMs: 10_000,
    });
    if (answer.status < 200 || answer.status > 299) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 500)}`);
    return { contentType: answer.contentType, body: answer.body };
  },
};
