/**
 * Raw records on the local endpoint: `POST /invocations` with the contract's columns (JSON records, or CSV whose
 * header names contract columns; see core/serving/raw-request.ts) is checked against the contract, turned into
 * features by the pipeline's own feature query in scoring mode (core/serving/raw-featurizer.ts, in-process DuckDB) and
 * answered with the user's labels (core/serving/raw-answer.ts). Featurized requests never reach this module's DuckDB:
 * {@link RawRecordsRoute.answer} returns false for them after looking at the content type and one character.
 *
 * The records of the requests featurized in one query are predicted in one XGBoost call too: the route hands its
 * features to the endpoint's prediction batcher (local/serving/prediction-batcher.ts), and the requests of a query
 * settle in the same loop turn.
 *
 * One featurizer per served model: opened with the first raw request to that model (so an endpoint that never sees a
 * raw record never loads DuckDB), its statements prepared once and reused, and closed when the model is freed after a
 * hot swap (the next model gets its own, prepared from its own pointer's spec).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { labelledPredictions, labelledTextPredictions } from '../../core/serving/raw-answer.js';
import type { RawPrediction } from '../../core/serving/raw-answer.js';
import type { RawFeaturizer } from '../../core/serving/raw-featurizer.js';
import { checkRawRecords, RawRecordError } from '../../core/serving/raw-records.js';
import { readRawRequest } from '../../core/serving/raw-request.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import { FeatureCountError, InvocationError, NotAcceptableError, PredictionFailedError } from './errors.js';
import { isTextModel } from './model-slot.js';
import type { SlotModel } from './model-slot.js';
import type { PredictionBatcher } from './prediction-batcher.js';

/** 400: a raw record breaks the contract, or the feature query cannot score it; the message names record, column and rule. */
export class RawRecordRejectedError extends InvocationError {
  public override readonly name = 'RawRecordRejectedError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

/** How the route answers: the endpoint's own `send` and `reject`, so status lines and events stay one format. */
export interface RawRouteIo {
  send(response: ServerResponse, status: number, contentType: string, body: string): void;
  reject(response: ServerResponse, error: InvocationError): void;
}

/** What the route reports about its featurizers (core/serving/raw-featurizer.ts, "Compiled"); the endpoint emits it. */
export type FeaturesEvent =
  /** A featurizer opened: `compiled` (checked against DuckDB, audited after), or `duckdb` with the reason. */
  | { readonly type: 'features-opened'; readonly pipeline: string; readonly engine: 'compiled' | 'duckdb'; readonly reason: string | undefined }
  /** The audit found a compiled feature DuckDB does not give: DuckDB answers every request from now on. */
  | { readonly type: 'features-audit-failed'; readonly pipeline: string; readonly message: string }
  /** A featurizer that answered with the compiled query closed (model freed, server closing): what its audit did. */
  | { readonly type: 'features-audited'; readonly pipeline: string; readonly audited: number; readonly unaudited: number; readonly different: boolean };

interface Attached {
  readonly spec: RawServingSpec;
  featurizer: Promise<RawFeaturizer> | undefined;
}

/** Raw-record requests of one endpoint server, per served model. */
export class RawRecordsRoute {
  private readonly models = new WeakMap<SlotModel, Attached>();
  private readonly open = new Set<Promise<RawFeaturizer>>();
  /** Featurizers of freed models, closing (their last audit, their DuckDB). */
  private readonly closing = new Set<Promise<void>>();

  /**
   * @param io how answers are sent
   * @param batcher the endpoint's prediction batcher: the requests featurized in one query are predicted in one
   *   XGBoost call too (they settle in the same loop turn)
   * @param report told how each featurizer featurizes, and of an audit that found a difference
   */
  public constructor(
    private readonly io: RawRouteIo,
    private readonly batcher: PredictionBatcher,
    private readonly report: (event: FeaturesEvent) => void = () => undefined,
  ) {}

  /** Serves raw records on `model` with its pipeline's spec (from the pointer's `rawRecords`); none: featurized only. */
  public attach(model: SlotModel, spec: RawServingSpec | undefined): void {
    if (spec !== undefined) this.models.set(model, { spec, featurizer: undefined });
  }

  /** Closes a freed model's featurizer (its prepared statements and in-memory database). */
  public release(model: SlotModel): void {
    const attached = this.models.get(model);
    this.models.delete(model);
    const featurizer = attached?.featurizer;
    if (featurizer === undefined) return;
    this.open.delete(featurizer);
    const closing = featurizer.then((f) => this.closeFeaturizer(f)).catch(() => undefined);
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }

  /** Closes every featurizer still open (server shutdown). */
  public async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    // Featurizers of models freed just before (the server clears its slot first) are still closing: waited for too.
    await Promise.allSettled([...all.map((f) => f.then((featurizer) => this.closeFeaturizer(featurizer))), ...this.closing]);
  }

  /** Closes a featurizer and reports what its audit did, when it answered with the compiled query. */
  private async closeFeaturizer(featurizer: RawFeaturizer): Promise<void> {
    await featurizer.close();
    const { audited, unaudited, mismatch } = featurizer.audit;
    if (audited + unaudited > 0 || mismatch !== undefined) this.report({ type: 'features-audited', pipeline: featurizer.pipeline, audited, unaudited, different: mismatch !== undefined });
  }

  /**
   * Answers the request when its body is raw records and the model serves them; returns false (nothing sent) for
   * featurized input, which the caller answers as before.
   */
  public answer(request: IncomingMessage, response: ServerResponse, model: SlotModel, body: Buffer): boolean {
    const attached = this.models.get(model);
    if (attached === undefined) return false;
    const contentType = request.headers['content-type'];
    if (!mayBeRaw(body, contentType)) return false;
    let records: ReturnType<typeof checkRawRecords>;
    try {
      const raw = readRawRequest(body.toString('utf8'), contentType, attached.spec);
      if (raw === undefined) return false;
      const accept = request.headers.accept;
      if (accept !== undefined && !/(^|,)\s*(application\/json|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept)) {
        throw new NotAcceptableError(`Raw records are answered in application/json; Accept was ${accept}`);
      }
      records = checkRawRecords(attached.spec, raw.records, raw.kind, raw.kind === 'csv' ? attached.spec.nullValues : ['']);
    } catch (error) {
      this.fail(response, error);
      return true;
    }
    this.predict(attached, model, records).then(
      (predictions) => this.io.send(response, 200, 'application/json', JSON.stringify({ predictions })),
      (error: unknown) => this.fail(response, error),
    );
    return true;
  }

  private async predict(attached: Attached, model: SlotModel, records: ReturnType<typeof checkRawRecords>): Promise<RawPrediction[]> {
    if (isTextModel(model)) {
      // The text model's normaliser runs the pipeline's feature SQL over the raw text (text-normaliser.ts).
      const at = records.columns.findIndex((c) => c.name === attached.spec.textColumn);
      if (at < 0) throw new PredictionFailedError(`pipeline ${attached.spec.pipeline}: no text column to predict from`);
      const texts = records.rows.map((row) => (row[at] === null || row[at] === undefined ? '' : String(row[at])));
      return labelledTextPredictions(await model.predict(texts, 1));
    }
    const featurizer = await this.featurizer(attached);
    const { values, nRows, nCols } = await featurizer.featurize(records);
    if (nCols !== model.numFeatures) throw new FeatureCountError(nCols, model.numFeatures);
    return new Promise<RawPrediction[]>((resolve, reject) => {
      this.batcher.predict({
        model,
        values,
        nRows,
        nCols,
        // The predictions are read here, synchronously, as the batcher requires (it reuses their buffer).
        settle: (predictions, cause) => {
          if (predictions === undefined) reject(PredictionFailedError.fromPredictError(cause));
          else resolve(labelledPredictions(predictions, nRows, model.objective, featurizer.labelNames));
        },
      });
    });
  }

  private featurizer(attached: Attached): Promise<RawFeaturizer> {
    if (attached.featurizer === undefined) {
      const { spec } = attached;
      const opening = import('../../core/serving/raw-featurizer.js').then(async ({ RawFeaturizer: Featurizer }) => {
        // A tabular query may run compiled, audited by DuckDB in a worker thread (core/serving/raw-featurizer.ts).
        const auditor = spec.algorithm === 'xgboost' ? import('./feature-auditor.js').then(({ startFeatureAuditor }) => startFeatureAuditor(spec)) : undefined;
        const featurizer = await Featurizer.open(spec, {
          ...(auditor === undefined ? {} : { auditor }),
          onAuditMismatch: (message) => this.report({ type: 'features-audit-failed', pipeline: spec.pipeline, message }),
        });
        this.report({ type: 'features-opened', pipeline: spec.pipeline, engine: featurizer.engine, reason: featurizer.notCompiledBecause });
        return featurizer;
      });
      attached.featurizer = opening;
      this.open.add(opening);
      // A featurizer that fails to open is retried by the next request rather than kept failing.
      opening.catch(() => {
        this.open.delete(opening);
        if (attached.featurizer === opening) attached.featurizer = undefined;
      });
    }
    return attached.featurizer;
  }

  private fail(response: ServerResponse, error: unknown): void {
    if (error instanceof InvocationError) this.io.reject(response, error);
    else if (error instanceof RawRecordError || (error as Error).name === 'RawFeatureQueryError') {
      this.io.reject(response, new RawRecordRejectedError((error as Error).message, { cause: error }));
    } else this.io.send(response, 500, 'text/plain; charset=utf-8', `Internal error: ${(error as Error).message}`);
  }
}


/** Raw records are JSON, or CSV whose first character is not one a featurized row starts with. */
function mayBeRaw(body: Buffer, contentType: string | undefined): boolean {
  const type = (contentType ?? 'text/csv').toLowerCase();
  if (type.startsWith('application/json')) return true;
  if (!type.startsWith('text/csv') && !type.startsWith('csv')) return false;
  if (type.includes('header=present')) return true;
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0d || body[i] === 0x0a)) i++;
  const c = body[i];
  // A letter, a quote, an underscore or a byte-order mark: a header; a digit, sign, point or comma: a featurized row.
  return c !== undefined && (c === 0x22 || c === 0x5f || c === 0xef || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
}
