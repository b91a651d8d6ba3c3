/**
 * The local endpoint: SageMaker's container contract for the built-in XGBoost `1.7-1` algorithm
 * (`GET /ping`, `POST /invocations`, `GET /execution-parameters`) on Node's own `http` server, and BlazingText's
 * JSON contract for a text model (`text-contract.ts`): the model's kind is told by its archive, not configured.
 *
 * Why no framework: three routes, one body format per route, and the hot path is "read the body, predict, write a
 * string"; a router or body-parser middleware would add per-request work and a dependency for nothing.
 *
 * Predictions run in the event loop, synchronously, with all rows of a request in one XGBoost call; small requests
 * whose bodies completed in the same loop turn share one call (`prediction-batcher.ts`: a one-row call costs far more
 * than its row; see `bench/serve`). The model comes from a pointer
 * file that the server follows: when the pointer changes the new model is loaded in full, then made current in one
 * assignment (a text model loads asynchronously, a fastText process starting; a later pointer change wins over a load
 * still in progress, whose model is then closed unused); requests that arrived earlier finish on the model they started with, which is freed once the last of
 * them is done (see `model-slot.ts`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isFastTextModel } from '../fasttext/model-archive.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  formatPredictions,
  negotiateAccept,
  parseContentType,
  parseFeatures,
} from './contract.js';
import type { FeatureMatrix, RequestFormat, ResponseFormat } from './contract.js';
import {
  FeatureCountError,
  InvocationError,
  ModelNotLoadedError,
  ModelPointerError,
  PayloadTooLargeError,
  PredictionFailedError,
} from './errors.js';
import { parseModelPointer, resolveModelArtifact } from './model-pointer.js';
import { isTextModel, ModelSlot, modelInfo } from './model-slot.js';
import type { ModelInfo, ModelLease, SlotModel } from './model-slot.js';
import { watchPointerFile } from './pointer-watcher.js';
import type { PointerWatcher } from './pointer-watcher.js';
import { readRawServingSpec } from '../../core/serving/raw-serving-spec.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import { RawRecordsRoute } from './raw-route.js';
import type { FeaturesEvent } from './raw-route.js';
import { PredictionBatcher } from './prediction-batcher.js';
import { loadServingModel } from './serving-model.js';
import type { ServingModelOptions } from './serving-model.js';
import { checkTextContentType, formatTextAnswer, parseTextRequest } from './text-contract.js';
import type { TextServingModel } from './text-model.js';
import { loadTextServingModel } from './text-model.js';
import { readTextServingSpec } from './text-serving-spec.js';
import type { TextServingSpec } from './text-serving-spec.js';

/** Where the model comes from: a pointer file to follow (hot swap), or one artifact served as long as the server runs. */
export type ModelSource = { readonly pointerFile: string } | { readonly modelArtifact: string };

/** What the server reports through {@link EndpointServerOptions.onEvent} (it never logs by itself). */
export type EndpointEvent =
  | {
      readonly type: 'model-loaded';
      readonly model: ModelInfo;
      /** The model it replaced, if any (freed once its last request is done). */
      readonly previous: ModelInfo | undefined;
      readonly loadMs: number;
    }
  | { readonly type: 'model-load-failed'; readonly source: string; readonly error: Error }
  | { readonly type: 'model-freed'; readonly model: ModelInfo }
  | { readonly type: 'request-rejected'; readonly statusCode: number; readonly message: string }
  /** A `POST /invocations` answered with a success status (what `sluice console` counts as requests answered). */
  | { readonly type: 'request-answered'; readonly statusCode: number }
  /** How a model's raw-record featurizer featurizes, an audit that found a difference, what its audit did (raw-route.ts). */
  | FeaturesEvent;

/** How to start the endpoint. */
export interface EndpointServerOptions {
  /** Address to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 8080, the container's; 0 picks a free one). */
  readonly port?: number;
  readonly modelSource: ModelSource;
  /** Largest request body in bytes (default 6 MiB, the container's `MAX_CONTENT_LENGTH`). */
  readonly maxPayloadBytes?: number;
  /** Answer format when `Accept` is absent or `*∕*` (the container's `SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`). */
  readonly defaultAccept?: ResponseFormat;
  /** How often the pointer file is polled in ms, besides `fs.watch` (default 1000). */
  readonly pollIntervalMs?: number;
  /** Library path and threads of the models (default: one thread per prediction, as in the container). */
  readonly model?: ServingModelOptions;
  /** Text models: the `fasttext` command (default on the PATH). */
  readonly fastTextBinary?: string;
  /**
   * Text models served from a `modelArtifact`: normalise raw texts with this pipeline's feature SQL. With a pointer
   * file, the pointer's `textNormalisation` field (written by local Deploy) says it instead.
   */
  readonly textNormalisation?: TextServingSpec;
  /**
   * Raw records (the contract's columns, see raw-route.ts) for a `modelArtifact`; with a pointer file, the pointer's
   * `rawRecords` field (written by local Deploy and `sluice serve`) says it instead. Without it: featurized input only.
   */
  readonly rawRecords?: RawServingSpec;
  /** Receives model and request events; exceptions it throws are ignored. */
  readonly onEvent?: (event: EndpointEvent) => void;
}

/** A running endpoint. */
export interface EndpointServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The model being served, if any. */
  readonly model: ModelInfo | undefined;
  /** Models in native memory (the current one plus replaced ones still answering requests). */
  readonly loadedModels: number;
  /** `POST /invocations` requests holding a model (arrived, not yet answered or abandoned). */
  readonly activeRequests: number;
  /** Re-reads the pointer now (without waiting for the watch) and swaps if it names another model. */
  refresh(): ModelInfo | undefined;
  /** Stops listening, lets requests in progress finish (5 s at most), frees the models. */
  close(): Promise<void>;
}

/**
 * Starts the endpoint and resolves once it listens. With `{ modelArtifact }` the model is loaded before listening and
 * a load failure rejects; with `{ pointerFile }` the server starts even when the pointer is missing or its model does
 * not load (`/ping` answers 503 until a model is loaded) and follows the pointer from then on.
 * @throws ModelFormatError, XgboostNotInstalledError when a `modelArtifact` cannot be loaded
 * @throws the `listen` error (e.g. EADDRINUSE)
 */
export async function startEndpointServer(options: EndpointServerOptions): Promise<EndpointServer> {
  const host = options.host ?? '127.0.0.1';
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const defaultAccept = options.defaultAccept ?? 'text/csv';
  const emit = (event: EndpointEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A faulty listener must not take the endpoint down.
    }
  };
  // Text models freed on a swap stop their predictor process asynchronously: close() waits for every one to exit.
  const exiting = new Set<Promise<void>>();
  // One batcher for featurized and raw-record predictions: the requests of one featurizing query share one call too.
  const batcher = new PredictionBatcher();
  const raw = new RawRecordsRoute({ send, reject: (response, error) => reject(response, error, { emit }) }, batcher, emit);
  const slot = new ModelSlot((model, freed) => {
    raw.release(freed);
    if (isTextModel(freed)) {
      const closed = freed.closed.then(() => {
        exiting.delete(closed);
      });
      exiting.add(closed);
    }
    emit({ type: 'model-freed', model });
  });
  const source = options.modelSource;
  const loading: LoadOptions = {
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.fastTextBinary === undefined ? {} : { fastTextBinary: options.fastTextBinary }),
    raw,
  };
  const follower = 'pointerFile' in source ? new PointerFollower(source.pointerFile, slot, loading, emit) : undefined;
  if ('modelArtifact' in source) {
    const normalisation = options.textNormalisation;
    const started = performance.now();
    const loaded = loadModel(source.modelArtifact, { ...loading, ...(normalisation === undefined ? {} : { normalisation }) });
    const model = loaded instanceof Promise ? await loaded : loaded;
    raw.attach(model, options.rawRecords);
    installLoaded(slot, model, undefined, source.modelArtifact, started, emit);
  } else {
    follower?.refresh(true);
  }

  // One context for the server's life: the request handler allocates nothing of its own before the body is read.
  const context: RouteContext = {
    slot,
    maxPayloadBytes,
    defaultAccept,
    emit,
    countAnswers: options.onEvent !== undefined,
    noModel: () => follower?.problem(),
    raw,
    formats: new HeaderMemo(),
    batcher,
  };
  const server = http.createServer((request, response) => route(request, response, context));
  // The container's gunicorn keeps idle connections 60 s; Node's default (5 s) would make clients reconnect.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 8080 }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await follower?.close();
    slot.clear();
    await Promise.all([...exiting]);
    throw error;
  });
  const watcher: PointerWatcher | undefined =
    follower === undefined
      ? undefined
      : watchPointerFile({
          pointerFile: follower.pointerFile,
          onChange: () => follower.refresh(false),
          ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        });
  // A deployment between the first read and the start of the watch would otherwise wait for the next change.
  follower?.refresh(false);
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    get model() {
      return slot.info;
    },
    get loadedModels() {
      return slot.loadedModels;
    },
    get activeRequests() {
      return slot.activeLeases;
    },
    refresh() {
      follower?.refresh(true);
      return slot.info;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        watcher?.close();
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })
        .then(() => follower?.close())
        .then(async () => {
          slot.clear();
          await Promise.all([...exiting, raw.close()]);
        });
      return closing;
    },
  };
}

/** How models are loaded: XGBoost's library options, the `fasttext` command, a text pipeline's normalisation. */
interface LoadOptions {
  readonly model?: ServingModelOptions;
  readonly fastTextBinary?: string;
  readonly normalisation?: TextServingSpec;
  /** Where a loaded model's raw-record spec is attached (the pointer's `rawRecords`). */
  readonly raw?: RawRecordsRoute;
}

/**
 * Loads an artifact of either kind. XGBoost loads synchronously, as before; when the artifact is not an XGBoost model
 * but holds fastText's `model.bin` (BlazingText's archive), a text model is loaded asynchronously.
 */
function loadModel(artifact: string, options: LoadOptions): SlotModel | Promise<TextServingModel> {
  try {
    return loadServingModel(artifact, options.model);
  } catch (xgboostError) {
    return isFastTextModel(artifact).then(
      (text) => {
        if (!text) throw xgboostError;
        return loadTextServingModel(artifact, {
          ...(options.fastTextBinary === undefined ? {} : { fastTextBinary: options.fastTextBinary }),
          ...(options.normalisation === undefined ? {} : { normalisation: options.normalisation }),
        });
      },
      () => {
        throw xgboostError;
      },
    );
  }
}

/** Makes a loaded model current and reports it. */
function installLoaded(
  slot: ModelSlot,
  model: SlotModel,
  version: number | undefined,
  artifact: string,
  started: number,
  emit: (event: EndpointEvent) => void,
): void {
  const info = modelInfo(model, version, artifact);
  const previous = slot.install(model, info);
  emit({ type: 'model-loaded', model: info, previous, loadMs: performance.now() - started });
}

/** Follows a pointer file: reads it when told it may have changed, loads and installs the model it names. */
class PointerFollower {
  private lastText: string | undefined;
  private lastProblem: string | undefined;
  /** Increases with every load started: an asynchronous load installs only if no later one has started since. */
  private generation = 0;
  /** The text model being loaded, if any, so a refresh naming the same model does not load it twice. */
  private pending: { readonly version: number; readonly artifact: string; readonly done: Promise<void> } | undefined;

  public constructor(
    public readonly pointerFile: string,
    private readonly slot: ModelSlot,
    private readonly loading: LoadOptions,
    private readonly emit: (event: EndpointEvent) => void,
  ) {}

  /**
   * Waits for a load in progress to settle (installed, or its failure reported), so closing the slot afterwards stops
   * every predictor process the server started. The watcher is closed first, so no new load starts meanwhile.
   */
  public async close(): Promise<void> {
    await this.pending?.done;
  }

  /** Why no model is loaded, for 503 answers. */
  public problem(): string {
    return this.lastProblem ?? `No model loaded yet: waiting for the model pointer ${this.pointerFile}`;
  }

  /**
   * Reads the pointer (synchronously: a few hundred bytes) and, when it names another model than the current one,
   * loads that model and installs it. Unchanged text is skipped unless `force`. Failures keep the current model.
   */
  public refresh(force: boolean): void {
    let text: string;
    try {
      text = readFileSync(this.pointerFile, 'utf8');
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
      this.fail(
        new ModelPointerError(
          missing
            ? `No model loaded yet: the model pointer ${this.pointerFile} does not exist`
            : `Cannot read the model pointer ${this.pointerFile}: ${(cause as Error).message}`,
          { cause },
        ),
      );
      this.lastText = undefined;
      return;
    }
    if (!force && text === this.lastText) return;
    this.lastText = text;
    let artifact: string;
    let version: number;
    try {
      const pointer = parseModelPointer(text, this.pointerFile);
      artifact = resolveModelArtifact(this.pointerFile, pointer);
      version = pointer.version;
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    const current = this.slot.info;
    if (current?.version === version && current.modelArtifact === artifact) return;
    if (this.pending?.version === version && this.pending.artifact === artifact) return;
    const normalisation = readTextServingSpec((JSON.parse(text) as Record<string, unknown>)['textNormalisation']);
    const rawRecords = readRawServingSpec((JSON.parse(text) as Record<string, unknown>)['rawRecords']);
    const generation = ++this.generation;
    const started = performance.now();
    let loaded: SlotModel | Promise<TextServingModel>;
    try {
      loaded = loadModel(artifact, { ...this.loading, ...(normalisation === undefined ? {} : { normalisation }) });
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (!(loaded instanceof Promise)) {
      this.loading.raw?.attach(loaded, rawRecords);
      installLoaded(this.slot, loaded, version, artifact, started, this.emit);
      this.lastProblem = undefined;
      return;
    }
    const done = loaded.then(
      (model) => {
        // A later pointer superseded this load: the model was never served; stop its process.
        if (generation !== this.generation) {
          model.free();
          return model.closed;
        }
        this.loading.raw?.attach(model, rawRecords);
        installLoaded(this.slot, model, version, artifact, started, this.emit);
        this.lastProblem = undefined;
        return undefined;
      },
      (error: unknown) => {
        if (generation === this.generation) this.fail(error as Error);
      },
    );
    const pending = { version, artifact, done: done.finally(() => {
      if (this.pending === pending) this.pending = undefined;
    }) };
    this.pending = pending;
  }

  private fail(error: Error): void {
    // Report each distinct problem once: the poll would otherwise repeat it every second.
    if (error.message === this.lastProblem) return;
    this.lastProblem = error.message;
    this.emit({ type: 'model-load-failed', source: this.pointerFile, error });
  }
}

interface RouteContext {
  readonly slot: ModelSlot;
  readonly maxPayloadBytes: number;
  readonly defaultAccept: ResponseFormat;
  readonly emit: (event: EndpointEvent) => void;
  /** Whether anyone listens for `request-answered` (else the event is not even built). */
  readonly countAnswers: boolean;
  /** Why there is no model (pointer mode), or undefined. */
  readonly noModel: () => string | undefined;
  /** Raw-record requests (raw-route.ts). */
  readonly raw?: RawRecordsRoute;
  readonly formats: HeaderMemo;
  /** Tabular predictions of the requests completing together, in one call (prediction-batcher.ts). */
  readonly batcher: PredictionBatcher;
}

/**
 * The last `Content-Type` and `Accept` headers read, with what they meant. A client sends the same headers on every
 * request of a connection (and a load of clients the same ones), so the hot path compares two strings instead of
 * splitting and lower-casing them each time. Only successful readings are kept: a bad header is refused every time.
 */
class HeaderMemo {
  private contentType: string | undefined = '';
  private requestFormat: RequestFormat = 'csv';
  private accept: string | undefined = '';
  private acceptDefault: ResponseFormat = 'text/csv';
  private responseFormat: ResponseFormat = 'text/csv';

  /** `parseContentType` of the header. @throws UnsupportedContentTypeError (415) */
  public requestFormatOf(header: string | undefined): RequestFormat {
    if (header !== this.contentType) {
      this.requestFormat = parseContentType(header);
      this.contentType = header;
    }
    return this.requestFormat;
  }

  /** `negotiateAccept` of the header. @throws NotAcceptableError (406) */
  public responseFormatOf(header: string | undefined, defaultFormat: ResponseFormat): ResponseFormat {
    if (header !== this.accept || defaultFormat !== this.acceptDefault) {
      this.responseFormat = negotiateAccept(header, defaultFormat);
      this.accept = header;
      this.acceptDefault = defaultFormat;
    }
    return this.responseFormat;
  }
}

function route(request: IncomingMessage, response: ServerResponse, context: RouteContext): void {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const method = request.method ?? 'GET';
  switch (path) {
    case '/invocations':
      if (method === 'POST') invoke(request, response, context);
      else methodNotAllowed(response, 'POST');
      return;
    case '/ping':
      if (method === 'GET' || method === 'HEAD') ping(response, context);
      else methodNotAllowed(response, 'GET, HEAD');
      return;
    case '/execution-parameters':
      if (method === 'GET' || method === 'HEAD') {
        // What the container answers for batch transform; this server is one worker, hence 1 transform at a time.
        const body = JSON.stringify({
          MaxConcurrentTransforms: 1,
          BatchStrategy: 'MULTI_RECORD',
          MaxPayloadInMB: Math.floor(context.maxPayloadBytes / (1024 * 1024)),
        });
        send(response, 200, 'application/json', body);
      } else methodNotAllowed(response, 'GET, HEAD');
      return;
    default:
      send(response, 404, TEXT, `Not found: ${path} (routes: POST /invocations, GET /ping, GET /execution-parameters)`);
  }
}

const TEXT = 'text/plain; charset=utf-8';

function ping(response: ServerResponse, context: RouteContext): void {
  const info = context.slot.info;
  if (info === undefined) {
    const message = context.noModel() ?? 'No model loaded';
    send(response, 503, 'application/json', JSON.stringify({ status: 'Unhealthy', message }));
    return;
  }
  send(
    response,
    200,
    'application/json',
    JSON.stringify({
      status: 'Healthy',
      modelVersion: info.version ?? null,
      modelArtifact: info.modelArtifact,
      loadedAt: info.loadedAt,
      objective: info.objective,
      numFeatures: info.numFeatures,
    }),
  );
}

function invoke(request: IncomingMessage, response: ServerResponse, context: RouteContext): void {
  // The model is bound when the request arrives: a swap while its body is still coming does not affect it.
  const lease = context.slot.acquire();
  if (lease === undefined) {
    reject(response, new ModelNotLoadedError(context.noModel() ?? 'No model loaded'), context);
    return;
  }
  // One listener per request on this hot path: it frees the model and, when the answer was sent whole with a success
  // status (every answer path, tabular, text or raw, ends the response), counts it once. `on`, not `once`: a response
  // closes once, and `once` would wrap the listener in two more objects.
  response.on('close', () => {
    lease.release();
    if (context.countAnswers && response.writableFinished && response.statusCode < 400) {
      context.emit({ type: 'request-answered', statusCode: response.statusCode });
    }
  });
  // Too large: answer 413 at once. The rest of the body is read and dropped (Node drains an unread request, and
  // the data handler below ignores what comes after the limit) rather than the socket being closed under the
  // client, which would turn the 413 into a connection reset on its side.
  const declared = Number(request.headers['content-length']);
  if (declared > context.maxPayloadBytes) {
    reject(response, new PayloadTooLargeError(context.maxPayloadBytes), context);
    return;
  }
  // A small body comes in one chunk: it is kept as it is, and a list (then Buffer.concat) is made only from a second one.
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let tooLarge = false;
  // A client that disconnects mid-body: the response's 'close' releases the lease, and nothing else is owed to a client
  // that left. No 'error' listener on the request: Node emits a request's 'error' "only if there are listeners attached
  // to the event" (lib/_http_incoming.js, onError), so none is needed to keep an abort from throwing.
  request.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > context.maxPayloadBytes) {
      tooLarge = true;
      first = undefined;
      more = undefined;
      reject(response, new PayloadTooLargeError(context.maxPayloadBytes), context);
      return;
    }
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  request.on('end', () => {
    if (tooLarge) return;
    const body = more !== undefined ? Buffer.concat(more, size) : (first ?? EMPTY);
    answer(request, response, lease, body, context);
  });
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  lease: ModelLease,
  body: Buffer,
  context: RouteContext,
): void {
  // The container answers an empty body with 204 and no content, before looking at anything else.
  if (body.length === 0) {
    response.writeHead(204);
    response.end();
    return;
  }
  const model = lease.model;
  if (context.raw?.answer(request, response, model, body) === true) return;
  if (isTextModel(model)) {
    answerText(request, response, model, body, context);
    return;
  }
  let features: FeatureMatrix;
  try {
    features = parseFeatures(body, context.formats.requestFormatOf(request.headers['content-type']));
    if (features.nCols !== model.numFeatures) throw new FeatureCountError(features.nCols, model.numFeatures);
  } catch (error) {
    fail(response, error, context);
    return;
  }
  const { nRows } = features;
  context.batcher.predict({
    model,
    values: features.values,
    nRows,
    nCols: features.nCols,
    settle: (predictions, cause) => {
      try {
        if (predictions === undefined) throw PredictionFailedError.fromPredictError(cause);
        // Checked after predicting, as the container does: a bad Accept is a 406 only for an otherwise good request.
        const format = context.formats.responseFormatOf(request.headers.accept, context.defaultAccept);
        // The answer is ASCII (digits, signs, `.`, `e`, `,`, `NaN`, `inf`, JSON punctuation): its length is its byte count.
        const text = formatPredictions(predictions, nRows, format);
        sendAscii(response, 200, format === 'text/csv' ? CSV : JSON_TYPE, text);
      } catch (error) {
        fail(response, error, context);
      }
    },
  });
}

/** An invocation's failure as its answer: the contract's status for a known error, else 500. */
function fail(response: ServerResponse, error: unknown, context: Pick<RouteContext, 'emit'>): void {
  if (error instanceof InvocationError) reject(response, error, context);
  else send(response, 500, TEXT, `Internal error: ${(error as Error).message}`);
}

/**
 * A text model's answer: BlazingText's JSON request read, raw texts normalised and predicted, `[{label, prob}, ...]`
 * written. BlazingText answers JSON to JSON ("content-type and accept must be equal"), so `Accept` is not negotiated.
 * The lease is held until the response closes, so a swap during the prediction does not stop this model's process.
 */
function answerText(request: IncomingMessage, response: ServerResponse, model: TextServingModel, body: Buffer, context: RouteContext): void {
  let parsed: ReturnType<typeof parseTextRequest>;
  try {
    checkTextContentType(request.headers['content-type']);
    parsed = parseTextRequest(body);
  } catch (error) {
    if (error instanceof InvocationError) reject(response, error, context);
    else send(response, 500, TEXT, `Internal error: ${(error as Error).message}`);
    return;
  }
  model.predict(parsed.instances, parsed.k).then(
    (predictions) => send(response, 200, 'application/json', formatTextAnswer(predictions)),
    (cause: unknown) => reject(response, PredictionFailedError.fromPredictError(cause), context),
  );
}

function reject(response: ServerResponse, error: InvocationError, context: Pick<RouteContext, 'emit'>): void {
  context.emit({ type: 'request-rejected', statusCode: error.statusCode, message: error.message });
  send(response, error.statusCode, TEXT, error.message);
}

function methodNotAllowed(response: ServerResponse, allow: string): void {
  response.setHeader('Allow', allow);
  send(response, 405, TEXT, `Method not allowed; use ${allow}`);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  sendAscii(response, status, contentType, body, Buffer.byteLength(body));
}

/**
 * Writes a whole answer. The headers go as `writeHead`'s flat `[name, value, ...]` array (Node 14.14+, "headers may
 * be an Array where the keys and values are in the same list", nodejs/node#35274): Node writes them as given, without
 * building and walking an object. Node still adds `Date` (cached per second) and the keep-alive headers, as the
 * container's gunicorn sends them.
 */
function sendAscii(response: ServerResponse, status: number, contentType: string, body: string, byteLength = body.length): void {
  if (response.headersSent) return;
  response.writeHead(status, ['Content-Type', contentType, 'Content-Length', byteLength]);
  // end(body), not write(body) then end(): Node sends the headers and the body as one string either way, and write()
  // would also cork the socket and schedule a tick to uncork it (lib/_http_outgoing.js, write_).
  response.end(body);
}

const CSV = 'text/csv; charset=utf-8';
const JSON_TYPE = 'application/json';
const EMPTY = Buffer.alloc(0);

