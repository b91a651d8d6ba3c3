import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EndpointInvoker, EndpointSpec, EndpointStatus, ModelHosting } from '../../core/ports/model-hosting.js';
import { writeModelPointer } from '../serving/model-pointer.js';

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

/**
 * Local hosting: deploying writes the endpoint's pointer file and makes sure its HTTP server (SageMaker's container
 * contract on 127.0.0.1) is running; the server loads the new model and switches to it without dropping requests.
 * The endpoint is InService once the server reports the deployed version.
 */
export class LocalHosting implements ModelHosting {
  public constructor(
    private readonly lakeRoot: string,
    private readonly localPath: (uri: string) => string,
    private readonly launch: ServerLauncher,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  public async deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }> {
    const dir = endpointDir(this.lakeRoot, spec.endpointName);
    const previous = await readPointer(dir);
    await writePointer(dir, {
      version: spec.modelVersion,
      modelArtifact: spec.modelArtifact.startsWith('s3://') ? this.localPath(spec.modelArtifact) : spec.modelArtifact,
      endpointConfigName: spec.endpointConfigName,
      modelName: spec.modelName,
      deployedAt: this.clock().toISOString(),
    });
    await this.launch(dir);
    return { operation: previous ? 'update' : 'create' };
  }

  public async status(endpointName: string): Promise<EndpointStatus | undefined> {
    const dir = endpointDir(this.lakeRoot, endpointName);
    const pointer = await readPointer(dir);
    if (!pointer) return undefined;
    const url = await this.launch(dir);
    const serving = await pingVersion(url);
    if (serving === pointer.version) return { state: 'InService', endpointConfigName: pointer.endpointConfigName, address: url };
    return { state: serving === undefined ? 'Creating' : 'Updating', address: url };
  }

  public async cleanup(): Promise<{ deleted: string[] }> {
    // Local models are the run's own artifacts under models/: nothing else to delete.
    return { deleted: [] };
  }
}

async function pingVersion(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { modelVersion?: unknown };
    return typeof body.modelVersion === 'number' ? body.modelVersion : undefined;
  } catch {
    return undefined;
  }
}

/** Invokes a local endpoint over HTTP, as the SageMaker runtime would. */
export const httpInvoker: EndpointInvoker = {
  async invoke(address, request) {
    const response = await fetch(`${address}/invocations`, {
      method: 'POST',
      headers: { 'content-type': request.contentType, accept: request.accept },
      body: request.body,
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${body.slice(0, 500)}`);
    return { contentType: response.headers.get('content-type') ?? '', body };
  },
};
