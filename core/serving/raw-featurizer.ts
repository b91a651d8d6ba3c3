/**
 * Turns checked raw records into the model's input with the pipeline's own feature query in scoring mode
 * (`RawServingSpec.scoringSql`), on one in-memory DuckDB with the Trino-compatibility macros, as the feature query runs
 * in a local run. Opened once per model version: the statements are parsed, checked (one SELECT, no Athena-only
 * function) and prepared once, then every request only binds its values and runs.
 *
 * How the rows reach the query, without a table scan: a request of up to {@link VALUES_MAX_ROWS} records runs one
 * prepared statement whose relation is a `VALUES` list of typed parameters (`WITH <relation> AS (SELECT * FROM
 * (VALUES (CAST($1 AS BIGINT), …)) AS t(…)) <scoring query>`; for one record, `SELECT CAST($1 AS BIGINT) AS …`,
 * which skips scanning a list), prepared once per row count; a larger request goes through a temporary table filled
 * by DuckDB's appender and the query planned over it.
 *
 * What a one-record query costs, and why the statement looks the way it does (CPU time per record, churn's query,
 * in-process, paired in one process on a 2-core machine at load average 7-20; bench/score-endpoint.ts prints it):
 * - DuckDB re-plans a prepared statement when a bound value's type differs from the type it was planned with
 *   (`PreparedStatementData::RequireRebind`), and the C API binds NULL as an untyped SQLNULL: one NULL in a record
 *   made the query cost 3.0 ms instead of 1.3 ms. So a nullable column travels as a typed value and a null flag
 *   (`CASE WHEN $flag THEN NULL ELSE CAST($v AS T) END`, the same typed NULL), and a date or timestamp as text cast
 *   twice (`CAST(CAST($v AS VARCHAR) AS DATE)`), so every execution reuses the plan.
 * - An `ORDER BY` over the query cost 0.5-0.8 ms of a 1.8 ms execution: the rows are put in record order here instead,
 *   from the record number the query carries through.
 * - One record as a projection of its parameters instead of a one-row `VALUES` list: 0.5-0.8 ms against 0.8-2.7 ms
 *   (three paired runs, always lower).
 * - `runAndReadAll().getRowsJS()` fetched each chunk of the materialized result with one more trip to DuckDB's
 *   thread: the chunks are read synchronously instead (see `Lane.rowsOf`), one trip per query.
 * Together, one record per request, HEAD's featurizer against this one in one process, five interleaved runs each:
 * median CPU per record 4.1 ms before, 2.0 ms after (and 4.8 against 2.0 in a second session); the same floats
 * (checked on 2,000 churn records, by the NULL test in test/unit/serving/raw-records.test.ts and by
 * test/integration/serving/raw-records.test.ts).
 * - Then the result's shape: DuckDB's cost per query is mostly per result column (a vector in the result collection
 *   and a conversion in node-api for each), so the query's rows come back as ONE column, a FLOAT list per row holding
 *   the record's number and the features, each cast in SQL to the float the per-column conversion gave
 *   (core/serving/feature-list-sql.ts says why each cast is exact; text pipelines and non-numeric features keep the
 *   query's columns). Churn, one record per query, five interleaved rounds of 400 in-process at load average 6-8:
 *   median 0.89-1.24 ms of CPU against 1.06-1.65 ms with 27 columns; ten records per query 1.37 against 2.41 ms. The
 *   same floats: 200,000 features of 2,000 churn records (one per query, 16 per query, 40 at once, all through the
 *   appender) against HEAD's featurizer, and test/unit/serving/feature-list-sql.test.ts at a float's edges.
 * - Checked, not a cost: these statements are not re-planned per execution. A profile of 4,000 one-record queries shows
 *   no Binder, ExpressionRewriter or optimizer samples (`RequireRebind` is 0.04% and answers false). What remains of a
 *   query's cost (perf with DWARF call graphs of the endpoint under load) is about half the executor's per-query set-up
 *   and tear-down (`PipelineExecutor`: operator states, a 2,048-row vector per expression and column, expression
 *   states), a quarter the execution itself, and the rest parameter binding and beginning the query; jemalloc's decay
 *   purges (`madvise`) and the page faults that follow add kernel time. None of it is per row: batching amortizes it.
 *
 * Row order: the record's number travels through the query as its id column; a query that drops a record (a WHERE)
 * or repeats one (a join) is refused for that record, since an answer must have one prediction per record.
 *
 * Dynamic batching over a pool of connections: requests that arrive while every connection is busy wait, and the
 * next free connection featurizes all of them at once (up to {@link BATCH_MAX_ROWS} records), each request getting
 * its own rows back. Under concurrent load the per-query cost is then paid once per batch instead of once per request.
 *
 * Gathering: how the batches form decides the cost, since a query's cost is mostly fixed. Started the moment a
 * connection was idle, they formed badly under a closed loop of clients (`npm run bench -- score --part endpoint`,
 * autocannon at 10 connections, counted per query in the endpoint: of 5,042 queries, 2,699 of one request and 1,956
 * of nine): the first request back started a query alone, the other nine queued behind it, and every cycle paid two
 * queries. So a batch starts in the loop
 * turn's check phase (`setImmediate`, as local/serving/prediction-batcher.ts does), taking every request whose body
 * was read in that poll phase; and an idle connection waits for as many requests as were lately outstanding
 * together, at most {@link GATHER_WINDOW_MS} (a timer only then), after which it expects as many as came. A lone
 * request never waits: one outstanding request is all that is expected. With both, the same bench ran 2,894 of its
 * 3,479 queries with all ten requests, and the endpoint's CPU per raw request fell from 404-434 µs to 275-319 µs
 * (two paired runs at load average 7-8.6, docs/scoring.md). The setImmediate alone was not enough: batch sizes
 * spread from one to ten, with as many queries.
 * With {@link RawFeaturizerOptions.connections} above one, another connection (its own temporary table, macros and
 * prepared statements) is opened only when requests wait while every open one is busy, and runs its batch on another
 * of node-api's threads; the default is one connection ({@link DEFAULT_FEATURIZER_CONNECTIONS} says why).
 * A batch whose query fails is retried request by request, so one request's failure is never another's.
 *
 * Compiled: what batching cannot do is make one request cheap. Under a closed loop of ten clients a query of ten
 * records still cost the endpoint 1.1 ms, and the raw p99 stayed at 5-6 ms against the featurized 1 ms. So, given an
 * auditor ({@link RawFeaturizerOptions.auditor}; the local endpoint's runs DuckDB in a worker thread), the featurizer
 * compiles the scoring query to a function of one record (core/serving/feature-program.ts: DuckDB's own parse tree of
 * the same translated SQL, for a strictly limited part of SQL, with DuckDB's semantics; about 0.6 µs a churn record)
 * and answers with it, under three guards, so that the answer is still the one DuckDB gives:
 * - When it opens, the program and DuckDB featurize the verification records (core/serving/verification-records.ts:
 *   every value the query's constants, the contract and each type's edges suggest, per column, then a thousand mixed
 *   ones); one float apart, or one record DuckDB refuses and the program answers, and DuckDB answers every request.
 * - A record where JavaScript could differ from DuckDB (an integer beyond 2^53, a double that is not finite, text
 *   whose order or case differs between UTF-16 and UTF-8) stops the program: that request runs the query in DuckDB.
 * - After the answer is sent, the auditor featurizes the same records with DuckDB ({@link AUDIT_INTERVAL_MS} says how
 *   many), and one float apart turns the compiled query off for the model version: DuckDB answers every request from
 *   then on and the owner is told ({@link RawFeaturizerOptions.onAuditMismatch}; the endpoint logs it). The answers
 *   already sent stand; the audit counts are in {@link RawFeaturizer.audit}.
 * Without an auditor (batch scoring, the cloud's inference function, the benches' DuckDB figures) nothing is compiled.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBListVector, DuckDBMaterializedResult, DuckDBPreparedStatement, DuckDBValueConverter, JS } from '@duckdb/node-api';
import { TerminalStepError } from '../errors.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import { quoteIdentifier } from '../sql/quote.js';
import { prepareSingleStatement } from '../sql/single-statement.js';
import { explainDuckDbError, installTrinoCompat, translateTrinoSql } from '../sql/trino-compat.js';
import { recordColumnsOf } from './raw-records.js';
import type { CheckedRecords, RawValue } from './raw-records.js';
import type { RawColumn, RawServingSpec } from './raw-serving-spec.js';
import { RAW_ROW_COLUMN } from './raw-serving-spec.js';
import { FLOAT_EXACT_RECORDS, featureListSql } from './feature-list-sql.js';
import { compileFeatureProgram, RecordNeedsDuckDb, UncompilableQueryError } from './feature-program.js';
import type { FeatureProgram } from './feature-program.js';
import { queryConstants, verificationRecords } from './verification-records.js';

/** The feature query could not turn a request's records into features (it failed, or dropped a record). */
export class RawFeatureQueryError extends TerminalStepError {
  public override readonly name = 'RawFeatureQueryError';
}

/** Requests of at most this many records run through a `VALUES` statement prepared for their row count. */
export const VALUES_MAX_ROWS = 16;

/** Requests waiting together are featurized in one query of at most this many records (dynamic batching). */
export const BATCH_MAX_ROWS = 256;

/**
 * Connections a featurizer opens at most by default: one. Measured on the endpoint (2 cores, autocannon at 10
 * connections on the same machine, load average 12-15, three paired runs): one connection answered 682 raw req/s at
 * p99 70 ms and 760 µs of server CPU per request, two connections 499 req/s at p99 110 ms and 1,158 µs. Two queries at
 * once halve the batches (more queries for the same records) and contend for the two cores with the event loop and
 * the load generator; a machine with cores to spare may pass {@link RawFeaturizerOptions.connections}.
 */
export const DEFAULT_FEATURIZER_CONNECTIONS = 1;

/**
 * Milliseconds an idle connection waits at most for the requests it expects to come together (see the module
 * comment, "Gathering"). What it costs: nothing to a lone request (one outstanding request is all that is expected);
 * at most this once each time the concurrency drops, after which fewer are expected.
 */
export const GATHER_WINDOW_MS = 1;

/** The model's input for a request: tabular features, or the text column of a text pipeline. */
export interface RawFeatures {
  /** `nRows * nCols` features, row-major, as float32 (what XGBoost receives; NULL is NaN, a missing value). */
  readonly values: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Text pipelines: the query's `text` column of each record (empty for tabular ones). */
  readonly texts: readonly string[];
}

/** How the rows reach the query: a prepared `VALUES` statement, or the appender and a temporary table. */
export type RawFeedMode = 'values' | 'appender';

/** Options of {@link RawFeaturizer.open}. */
export interface RawFeaturizerOptions {
  /** Force one way of feeding rows (default: `values` up to {@link VALUES_MAX_ROWS} records, `appender` above). */
  readonly mode?: RawFeedMode;
  /** Connections opened at most, each running one batch at a time (default {@link DEFAULT_FEATURIZER_CONNECTIONS}). */
  readonly connections?: number;
  /**
   * How a query's rows come back (default `list` when every feature is numeric, see {@link featureListSql}): `list`,
   * one FLOAT list per row (the record's number, then the features); `columns`, the query's own columns.
   */
  readonly results?: RawResultShape;
  /** Milliseconds an idle connection waits at most for the requests expected to come together (default {@link GATHER_WINDOW_MS}; 0: never). */
  readonly gatherMs?: number;
  /**
   * Who re-featurizes the compiled answers with DuckDB, after they are sent (see "Compiled" in the module comment):
   * with one, the scoring query is compiled to a function of one record where it can be (core/serving/feature-program.ts)
   * and checked against DuckDB when the featurizer opens; without one, every request runs the query in DuckDB. The
   * featurizer closes it. It may still be starting (a promise): compiled answers wait for their audit until it has
   * started, and one that fails to start turns the compiled query off.
   */
  readonly auditor?: FeatureAuditor | Promise<FeatureAuditor>;
  /** Told once when the audit found a compiled feature DuckDB does not give: the featurizer uses DuckDB from then on. */
  readonly onAuditMismatch?: (message: string) => void;
}

/**
 * DuckDB featurizing records for the audit of compiled answers, away from the thread that answers requests (the
 * local endpoint's is a worker thread, local/serving/feature-auditor.ts): an audit of a few hundred records costs
 * milliseconds of binding and reading on the thread that runs it.
 */
export interface FeatureAuditor {
  /** The features of checked records (values in the order of the contract's columns but the label's), by DuckDB. */
  featurize(rows: readonly (readonly RawValue[])[]): Promise<RawFeatures>;
  close(): Promise<void>;
}

/** How a featurizer turns records into features now: the compiled query, or DuckDB for every request. */
export type FeatureEngine = 'compiled' | 'duckdb';

/** What DuckDB's audit of the compiled features has done so far (see "Compiled" in the module comment). */
export interface FeatureAudit {
  /** Records answered by the compiled query and then featurized by DuckDB too, with the same floats. */
  readonly audited: number;
  /** Records answered by the compiled query that DuckDB had no time to audit (more came than it could check). */
  readonly unaudited: number;
  /** The first difference found, if any (the featurizer then uses DuckDB only). */
  readonly mismatch: string | undefined;
}

/**
 * Milliseconds between two audits: every this often, DuckDB featurizes the compiled answers that waited, at most
 * {@link BATCH_MAX_ROWS} records in one query; answers beyond that count go unaudited. So DuckDB audits every record
 * up to about 1,000 records a second, and a sample (the first records of each interval) above that. Why not every
 * record: an audit of 256 records costs the audit's thread about 9-13 ms of CPU (the appender's flush, the query's
 * plan). Auditing every answer at 9,000 raw requests a second took that thread a third of a core and halved what the
 * endpoint answered on 2 cores (17,500 raw req/s without the audit, 9,100 with it; 10 connections, autocannon on the
 * same machine). With this interval the same bench answered 13,500 raw req/s at p99 2.9 ms, against 11,500 at
 * 3.7 ms every 100 ms (`npm run bench -- score --part endpoint`, same session). Batched, because a query costs
 * about as much for one record as for a few hundred.
 */
export const AUDIT_INTERVAL_MS = 250;

/** How a featurizing query's rows come back: one FLOAT list per row, or the feature query's own columns. */
export type RawResultShape = 'list' | 'columns';

/**
 * One model version's featurizer: dynamic batches over a small pool of connections of one in-memory database.
 *
 * @example
 * const featurizer = await RawFeaturizer.open(spec);
 * const features = await featurizer.featurize(checkRawRecords(spec, records, 'json'));
 * await featurizer.close();
 */
export class RawFeaturizer {
  private readonly pending: Waiting[] = [];
  private readonly idle: Lane[];
  private readonly lanes: Lane[];
  private readonly running = new Set<Promise<void>>();
  private opening: Promise<void> | undefined;
  private closed = false;
  /** Whether a dispatch is due in this loop turn's check phase (see {@link RawFeaturizer.schedule}). */
  private scheduled = false;
  /** Requests accepted and not yet answered. */
  private outstanding = 0;
  /** Queries started (see {@link RawFeaturizer.queries}). */
  private started = 0;
  /** How many requests have lately been outstanding together: an idle connection waits for that many (see gather). */
  private expected = 1;
  /** The gathering window's timer, while an idle connection waits for the expected requests. */
  private gathering: NodeJS.Timeout | undefined;
  /** Compiled answers waiting for DuckDB's audit, oldest first, and how many records they hold. */
  private readonly auditQueue: CompiledAnswer[] = [];
  private auditWaitingRecords = 0;
  /** The audit in progress, if any (one at a time). */
  private auditing: Promise<void> | undefined;
  /** Set while compiled answers wait for the next audit (see {@link AUDIT_INTERVAL_MS}). */
  private auditTimer: NodeJS.Timeout | undefined;
  /** Whether the waiting answers are due for their audit (the interval since the first of them is over). */
  private auditDue = false;
  private audited = 0;
  private unaudited = 0;
  private mismatch: string | undefined;

  private constructor(
    private readonly spec: RawServingSpec,
    private readonly instance: DuckDBInstance,
    first: Lane,
    private readonly maxLanes: number,
    private readonly gatherMs: number,
    /** The user's value of each class number, when the label comes from one column with an allowed list. */
    public readonly labelNames: ReadonlyMap<number, string> | undefined,
    /** The compiled query while it serves; undefined: DuckDB answers every request. */
    private program: FeatureProgram | undefined,
    /** Why the query is not compiled (refused, or checked and found different), when it is not. */
    private notCompiled: string | undefined,
    /** Who audits the compiled answers (starting, perhaps: audits wait for it); undefined when nothing is compiled. */
    private readonly auditor: Promise<FeatureAuditor> | undefined,
    private readonly onAuditMismatch: ((message: string) => void) | undefined,
  ) {
    this.lanes = [first];
    this.idle = [first];
  }

  /**
   * Opens an in-memory DuckDB (one thread per query: a request is a few rows) and its first connection: the request
   * table, the checked and prepared scoring query, and the label's names.
   * @throws FeatureQueryError, UnsupportedSqlFunctionError when the query is not one SELECT DuckDB can run
   */
  public static async open(spec: RawServingSpec, options: RawFeaturizerOptions = {}): Promise<RawFeaturizer> {
    // The auditor is not waited for: compiled answers wait for their audit until it is ready (a worker thread takes
    // longer to start than DuckDB here to open and check the query). Handled from now on: a promise that rejects
    // before anything awaits it (a worker that failed at once) would otherwise end the process.
    const starting = Promise.resolve(options.auditor);
    let failedToStart: Error | undefined;
    starting.catch((error: unknown) => {
      failedToStart = error as Error;
    });
    // Loaded here, not at the top: an endpoint that never sees a raw record never loads DuckDB.
    const { DuckDBInstance: Instance, DuckDBListVector: ListVector, JSDuckDBValueConverter } = await import('@duckdb/node-api');
    const instance = await Instance.create(':memory:', { threads: '1' });
    try {
      const lane = await Lane.open(instance, spec, { mode: options.mode, results: options.results, converter: JSDuckDBValueConverter, ListVector });
      const labelNames = spec.labelSql === undefined ? undefined : await learnLabelNames(lane.connection, spec, spec.labelSql);
      const compiled = options.auditor === undefined ? { reason: 'not asked for (no auditor)' } : await compileAndVerify(lane, spec);
      let reason = 'reason' in compiled ? compiled.reason : undefined;
      if (failedToStart !== undefined) reason ??= `the auditor did not start: ${failedToStart.message}`;
      const program = 'program' in compiled && failedToStart === undefined ? compiled.program : undefined;
      if (program === undefined && options.auditor !== undefined) {
        // Nothing to audit: the worker (or whatever audits) is freed once it has started.
        void starting.then((auditor) => auditor?.close()).catch(() => undefined);
      }
      const featurizer = new RawFeaturizer(
        spec,
        instance,
        lane,
        Math.max(1, Math.floor(options.connections ?? DEFAULT_FEATURIZER_CONNECTIONS)),
        Math.max(0, options.gatherMs ?? GATHER_WINDOW_MS),
        labelNames,
        program,
        reason,
        program === undefined ? undefined : (starting as Promise<FeatureAuditor>),
        options.onAuditMismatch,
      );
      // An auditor that fails to start later: nothing can audit the compiled answers, so DuckDB answers from then on.
      if (program !== undefined) starting.catch((error: unknown) => featurizer.turnOffProgram(`the auditor did not start: ${(error as Error).message}`));
      return featurizer;
    } catch (error) {
      instance.closeSync();
      void starting
        .then((auditor) => auditor?.close())
        .catch(() => undefined);
      throw error;
    }
  }

  /** How the queries' rows come back: one FLOAT list per row, or the feature query's own columns (see the options). */
  public get results(): RawResultShape {
    return this.lanes[0]?.listed === true ? 'list' : 'columns';
  }

  /** Queries started so far: one per batch, and one per request when a batch's query failed and each ran alone. */
  public get queries(): number {
    return this.started;
  }

  /** The pipeline whose scoring query this featurizer runs. */
  public get pipeline(): string {
    return this.spec.pipeline;
  }

  /** How records become features now: the compiled query (audited by DuckDB), or DuckDB for every request. */
  public get engine(): FeatureEngine {
    return this.program === undefined ? 'duckdb' : 'compiled';
  }

  /** Why the query is not compiled, when {@link RawFeaturizer.engine} is `duckdb` (refused, or found different). */
  public get notCompiledBecause(): string | undefined {
    return this.program === undefined ? (this.mismatch ?? this.notCompiled) : undefined;
  }

  /** What DuckDB's audit of the compiled answers has done so far. */
  public get audit(): FeatureAudit {
    return { audited: this.audited, unaudited: this.unaudited, mismatch: this.mismatch };
  }

  /** Connections open now (one until requests have had to wait for the first). */
  public get connections(): number {
    return this.lanes.length;
  }

  /** The features of checked records, one row per record in order. */
  public featurize(records: CheckedRecords): Promise<RawFeatures> {
    if (this.closed) return Promise.reject(new RawFeatureQueryError('the featurizer is closed (its model was replaced)'));
    if (records.rows.length === 0) return Promise.resolve({ values: new Float32Array(0), nRows: 0, nCols: 0, texts: [] });
    const compiled = this.program === undefined ? undefined : this.compiledFeatures(this.program, records.rows);
    if (compiled !== undefined) {
      this.auditLater({ rows: records.rows, features: compiled });
      return Promise.resolve(compiled);
    }
    return new Promise<RawFeatures>((resolve, reject) => {
      this.outstanding += 1;
      if (this.outstanding > this.expected) this.expected = this.outstanding;
      const settled = (): void => {
        this.outstanding -= 1;
      };
      this.pending.push({
        rows: records.rows,
        resolve: (features) => {
          settled();
          resolve(features);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      this.schedule();
    });
  }

  /**
   * Frees the statements and the database once the requests in progress are done, and the auditor once it has
   * audited the compiled answers still waiting for it (the last answers of a replaced model are audited too).
   */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.gathering);
    this.gathering = undefined;
    clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
    // Requests already accepted still get their answers: start them now rather than in the dispatch to come.
    this.pump();
    while (this.running.size > 0 || this.opening !== undefined) await Promise.allSettled([...this.running, this.opening]);
    await this.auditing;
    while (this.auditor !== undefined && this.program !== undefined && this.auditQueue.length > 0) await this.runAudit(this.auditor, this.takeAudit());
    this.dropAudits();
    for (const lane of this.lanes) lane.close();
    this.instance.closeSync();
    await this.auditor?.then((auditor) => auditor.close()).catch(() => undefined);
  }

  /**
   * Dispatches the waiting requests in this loop turn's check phase (`setImmediate`), not at once: the requests whose
   * bodies were read in the same poll phase then share one query instead of the first starting a query alone while
   * the others queue behind it. A lone request is dispatched in the same loop turn; fewer requests than expected wait
   * for the others at most the gathering window (see the module comment, "Gathering").
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.dispatch);
  }

  private readonly dispatch = (): void => {
    this.scheduled = false;
    if (this.pending.length > 0 && this.gatherMs > 0 && !this.closed && this.idle.length > 0 && this.pending.length < this.expected && this.pendingRows() < BATCH_MAX_ROWS) {
      this.gathering ??= setTimeout(this.gathered, this.gatherMs);
      return;
    }
    this.pump();
  };

  private pendingRows(): number {
    let rows = 0;
    for (const waiting of this.pending) rows += waiting.rows.length;
    return rows;
  }

  /** The window closed before the expected requests came: expect as many as came, and run them. */
  private readonly gathered = (): void => {
    this.gathering = undefined;
    this.expected = Math.max(1, this.outstanding);
    this.pump();
  };

  /** Gives waiting requests to idle connections, a batch each, and opens another connection when requests still wait. */
  private pump(): void {
    if (this.gathering !== undefined && this.pending.length > 0 && this.idle.length > 0) {
      clearTimeout(this.gathering);
      this.gathering = undefined;
    }
    while (this.pending.length > 0) {
      const lane = this.idle.pop();
      if (lane === undefined) break;
      const batch = this.takeBatch();
      const run: Promise<void> = this.runBatch(lane, batch).finally(() => {
        this.running.delete(run);
        this.idle.push(lane);
        // Closing: the requests still waiting start now, before close() frees the connections.
        if (this.closed) this.pump();
        else if (this.pending.length > 0) this.schedule();
      });
      this.running.add(run);
    }
    if (this.auditDue && this.auditing === undefined && this.auditQueue.length > 0 && !this.closed && this.auditor !== undefined) {
      this.auditing = this.runAudit(this.auditor, this.takeAudit()).finally(() => {
        this.auditing = undefined;
        // The interval ended while this audit ran: the answers that waited are audited now.
        if (this.auditDue && !this.closed) this.schedule();
      });
    }
    const first = this.lanes[0];
    if (first !== undefined && this.pending.length > 0 && !this.closed && this.opening === undefined && this.lanes.length < this.maxLanes) {
      this.opening = Lane.open(this.instance, this.spec, first.setup).then(
        (lane) => {
          this.lanes.push(lane);
          this.idle.push(lane);
        },
        // A connection that cannot open leaves the pool as it is: the open ones keep serving.
        () => undefined,
      ).finally(() => {
        this.opening = undefined;
        if (!this.closed && this.pending.length > 0) this.schedule();
      });
    }
  }

  /**
   * The features of a request's records by the compiled query, or undefined when a record needs DuckDB (its request
   * then goes to DuckDB like any other). An error other than that is a fault of the program: it is turned off.
   */
  private compiledFeatures(program: FeatureProgram, rows: readonly (readonly RawValue[])[]): RawFeatures | undefined {
    const values = new Float32Array(rows.length * program.nCols);
    try {
      for (const [r, row] of rows.entries()) program.evaluate(row, values, r * program.nCols);
    } catch (error) {
      if (!(error instanceof RecordNeedsDuckDb)) this.turnOffProgram(`the compiled query failed: ${(error as Error).message}`);
      return undefined;
    }
    return { values, nRows: rows.length, nCols: program.nCols, texts: [] };
  }

  /** Queues a compiled answer for DuckDB's audit, or counts it unaudited when too many already wait. */
  private auditLater(answer: CompiledAnswer): void {
    if (this.auditWaitingRecords + answer.rows.length > BATCH_MAX_ROWS && this.auditWaitingRecords > 0) {
      this.unaudited += answer.rows.length;
      return;
    }
    this.auditQueue.push(answer);
    this.auditWaitingRecords += answer.rows.length;
    this.auditTimer ??= setTimeout(this.auditNow, AUDIT_INTERVAL_MS);
  }

  private readonly auditNow = (): void => {
    clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
    this.auditDue = true;
    this.schedule();
  };

  private takeAudit(): CompiledAnswer[] {
    const { batch, total } = takeRecords(this.auditQueue);
    this.auditWaitingRecords -= total;
    this.auditDue = false;
    return batch;
  }

  /**
   * DuckDB featurizes answers the compiled query already gave, and every float must be the same. A batch DuckDB
   * refuses is audited answer by answer: an answer DuckDB refuses alone is a difference too (its request would have
   * been refused).
   */
  private async runAudit(starting: Promise<FeatureAuditor>, batch: readonly CompiledAnswer[]): Promise<void> {
    const rows = batch.length === 1 ? (batch[0]?.rows ?? []) : batch.flatMap((answer) => answer.rows);
    let auditor: FeatureAuditor;
    try {
      auditor = await starting;
    } catch {
      // It did not start: the program is turned off (see open); these answers were never compared.
      for (const answer of batch) this.unaudited += answer.rows.length;
      return;
    }
    let together: RawFeatures | undefined;
    try {
      together = await auditor.featurize(rows);
    } catch {
      together = undefined;
    }
    let offset = 0;
    for (const [k, answer] of batch.entries()) {
      if (this.program === undefined) {
        // Turned off while this audit waited for DuckDB (the compiled query failed on a record): not compared.
        for (const rest of batch.slice(k)) this.unaudited += rest.rows.length;
        return;
      }
      let difference: string | undefined;
      try {
        const duckDb = together === undefined ? await auditor.featurize(answer.rows) : sliceFeatures(together, offset, answer.rows.length);
        difference = firstDifference(answer.rows, answer.features, duckDb);
      } catch (error) {
        // DuckDB refused these records (their request would have been refused), or the auditor itself stopped.
        difference = `the audit by DuckDB failed: ${(error as Error).message}`;
      }
      offset += answer.rows.length;
      if (difference !== undefined) {
        this.turnOffProgram(difference);
        // The answers after this one were not compared.
        for (const rest of batch.slice(k + 1)) this.unaudited += rest.rows.length;
        return;
      }
      this.audited += answer.rows.length;
    }
  }

  /** Stops answering with the compiled query: DuckDB answers every request from now on, and the owner is told once. */
  private turnOffProgram(reason: string): void {
    if (this.program === undefined) return;
    this.program = undefined;
    this.mismatch = reason;
    this.dropAudits();
    this.onAuditMismatch?.(`raw-record features: ${reason}; DuckDB featurizes every request of this model version from now on`);
  }

  /** Answers still waiting for their audit are left unaudited (closing, or the program turned off). */
  private dropAudits(): void {
    clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
    this.auditDue = false;
    this.unaudited += this.auditWaitingRecords;
    this.auditQueue.length = 0;
    this.auditWaitingRecords = 0;
  }

  private takeBatch(): Waiting[] {
    return takeRecords(this.pending).batch;
  }

  private async runBatch(lane: Lane, batch: readonly Waiting[]): Promise<void> {
    let rows: ScoredRows;
    try {
      rows = await this.query(lane, batch.length === 1 ? (batch[0]?.rows ?? []) : batch.flatMap((waiting) => waiting.rows));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One request's failure must not fail the others: each runs on its own.
      for (const waiting of batch) {
        try {
          waiting.resolve(requestFeatures(await this.query(lane, waiting.rows), 0, waiting.rows.length, this.spec.algorithm));
        } catch (own) {
          waiting.reject(own);
        }
      }
      return;
    }
    let offset = 0;
    for (const waiting of batch) {
      try {
        waiting.resolve(requestFeatures(rows, offset, waiting.rows.length, this.spec.algorithm));
      } catch (error) {
        waiting.reject(error);
      }
      offset += waiting.rows.length;
    }
  }

  private async query(lane: Lane, values: readonly (readonly RawValue[])[]): Promise<ScoredRows> {
    this.started += 1;
    try {
      return await lane.query(values);
    } catch (error) {
      throw explainDuckDbError(error, this.spec.scoringSql);
    }
  }
}

/**
 * An auditor running DuckDB on this thread: a featurizer of its own, without a compiled query. What a worker thread
 * runs for the local endpoint (local/serving/feature-auditor.ts), and what tests and tools use directly.
 */
export async function openDuckDbAuditor(spec: RawServingSpec): Promise<FeatureAuditor> {
  const featurizer = await RawFeaturizer.open(spec, { gatherMs: 0 });
  const columns = recordColumnsOf(spec);
  return {
    featurize: (rows) => featurizer.featurize({ columns, rows }),
    close: () => featurizer.close(),
  };
}

/** What every connection of a featurizer is opened with. */
interface LaneSetup {
  readonly mode: RawFeedMode | undefined;
  readonly results: RawResultShape | undefined;
  /** `getRowsJS`'s own converter (BIGINT as bigint, DECIMAL as number, …), applied to each chunk. */
  readonly converter: DuckDBValueConverter<JS>;
  /** node-api's list vector class, loaded with node-api (see {@link RawFeaturizer.open}). */
  readonly ListVector: typeof DuckDBListVector;
}

/**
 * One connection of the pool, with what DuckDB keeps per connection: the temporary request table, the
 * Trino-compatibility macros, and the prepared statements (one `VALUES` statement per row count).
 */
class Lane {
  private readonly byRows = new Map<number, DuckDBPreparedStatement>();
  /** Parameters per row: the record number, a value per column, a null flag per nullable column. */
  private readonly width: number;

  private constructor(
    public readonly connection: DuckDBConnection,
    private readonly spec: RawServingSpec,
    /** The record's columns, in the order of a checked row's values (every contract column but the label's). */
    public readonly columns: readonly RawColumn[],
    /** Parameter of each column's null flag, relative to its row's first parameter (0: the column is not nullable). */
    private readonly nullFlags: readonly number[],
    public readonly setup: LaneSetup,
    /** The scoring query as one FLOAT list per row (feature-list-sql.ts); undefined: its own columns. */
    private readonly asList: ((query: string) => string) | undefined,
    /** The scoring query's column types as DuckDB prepared it (`BIGINT`, `DECIMAL(18,3)`, …). */
    public readonly columnTypes: readonly string[],
  ) {
    this.width = columns.length + 1 + nullFlags.filter((f) => f > 0).length;
  }

  public static async open(instance: DuckDBInstance, spec: RawServingSpec, setup: LaneSetup): Promise<Lane> {
    const connection = await instance.connect();
    try {
      await installTrinoCompat(connection);
      const columns = recordColumnsOf(spec);
      const definition = [`${quoteIdentifier(RAW_ROW_COLUMN)} BIGINT`, ...columns.map((c) => `${quoteIdentifier(c.name)} ${COLUMN_TYPES[c.type]}`)].join(', ');
      await connection.run(`CREATE TEMP TABLE ${spec.relation} (${definition})`);
      // Prepared once here to refuse a query DuckDB cannot run when the model loads, not on its first request, and
      // to learn its column types.
      const checked = await prepare(connection, spec.scoringSql, spec.scoringSql);
      const types = Array.from({ length: checked.columnCount }, (_, i) => checked.columnType(i).toString());
      checked.destroySync();
      const asList = spec.algorithm === 'xgboost' && setup.results !== 'columns' ? featureListSql(types) : undefined;
      // A row's parameters: its number, one value per column, then one null flag per nullable column.
      let flag = columns.length + 1;
      const nullFlags = columns.map((c) => (c.nullable ? ++flag - 1 : 0));
      return new Lane(connection, spec, columns, nullFlags, setup, asList, types);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /** Whether the queries return one FLOAT list per row. */
  public get listed(): boolean {
    return this.asList !== undefined;
  }

  public async query(values: readonly (readonly RawValue[])[]): Promise<ScoredRows> {
    const mode = this.setup.mode ?? (values.length <= VALUES_MAX_ROWS ? 'values' : 'appender');
    if (mode === 'appender') return this.viaAppender(values);
    return this.rowsOf(await this.viaValues(values), this.asList !== undefined);
  }

  public close(): void {
    for (const statement of this.byRows.values()) statement.destroySync();
    this.connection.closeSync();
  }

  private async viaValues(values: readonly (readonly RawValue[])[]): Promise<DuckDBMaterializedResult> {
    const { width } = this;
    let statement = this.byRows.get(values.length);
    if (statement === undefined) {
      const rowsOfCells = values.map((_, r) => {
        const base = r * width;
        return [
          `CAST($${base + 1} AS BIGINT)`,
          ...this.columns.map((c, j) => {
            const value = c.type === 'date' || c.type === 'timestamp' ? `CAST(CAST($${base + j + 2} AS VARCHAR) AS ${COLUMN_TYPES[c.type]})` : `CAST($${base + j + 2} AS ${COLUMN_TYPES[c.type]})`;
            const flag = this.nullFlags[j] ?? 0;
            return flag === 0 ? value : `CASE WHEN CAST($${base + flag + 1} AS BOOLEAN) THEN NULL ELSE ${value} END`;
          }),
        ];
      });
      const names = [RAW_ROW_COLUMN, ...this.columns.map((c) => c.name)].map(quoteIdentifier);
      // One record: a projection of its parameters (no VALUES list to scan); more: a VALUES list of them.
      const [single] = rowsOfCells;
      const relation =
        single !== undefined && rowsOfCells.length === 1
          ? `SELECT ${single.map((cell, k) => `${cell} AS ${names[k] ?? ''}`).join(', ')}`
          : `SELECT * FROM (VALUES ${rowsOfCells.map((cells) => `(${cells.join(', ')})`).join(', ')}) AS t(${names.join(', ')})`;
      const sql = `WITH ${this.spec.relation} AS (${relation})\n${this.asList?.(this.spec.scoringSql) ?? this.spec.scoringSql}`;
      statement = await prepare(this.connection, sql, this.spec.scoringSql);
      this.byRows.set(values.length, statement);
    }
    for (const [r, row] of values.entries()) {
      const base = r * width;
      statement.bindBigInt(base + 1, BigInt(r));
      for (const [j, column] of this.columns.entries()) {
        const value = row[j] ?? null;
        const flag = this.nullFlags[j] ?? 0;
        if (flag !== 0) statement.bindBoolean(base + flag + 1, value === null);
        bindValue(statement, base + j + 2, value === null && flag !== 0 ? PLACEHOLDER[column.type] : value, column);
      }
    }
    return statement.run();
  }

  private async viaAppender(values: readonly (readonly RawValue[])[]): Promise<ScoredRows> {
    await this.connection.run(`DELETE FROM ${this.spec.relation}`);
    const appender = await this.connection.createAppender(this.spec.relation.slice(1, -1).replaceAll('""', '"'));
    try {
      for (const [r, row] of values.entries()) {
        appender.appendBigInt(BigInt(r));
        for (const [j, column] of this.columns.entries()) appendValue(appender, row[j] ?? null, column);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    // Planned now, over the rows just appended: a plan made over other rows would keep their statistics, and DuckDB
    // folds `x IS NULL` to false for a column whose statistics hold no NULL (a plan prepared over the empty table
    // answered `IS NULL` false for a NULL: RawFeaturizer's test 'NULLs in every column type' catches it).
    const asList = values.length < FLOAT_EXACT_RECORDS ? this.asList : undefined;
    const statement = await prepare(this.connection, asList?.(this.spec.scoringSql) ?? this.spec.scoringSql, this.spec.scoringSql);
    try {
      return this.rowsOf(await statement.run(), asList !== undefined);
    } finally {
      statement.destroySync();
    }
  }

  /**
   * The rows of a materialized result, read synchronously chunk by chunk. Why not streamed: streaming costs less CPU
   * (0.55-1.4 ms against 0.65-2.1 ms per one-record query, three paired runs) but takes three trips to DuckDB's
   * thread (execute, a chunk, the end) where this takes one, and on a loaded machine each trip waits for a time slice:
   * at load average 13-15, 200 sequential one-record requests to the endpoint answered p90 18.6 / 23.9 ms materialized
   * against 39.0 / 40.5 ms streamed (two paired runs each).
   */
  private rowsOf(result: DuckDBMaterializedResult, listed: boolean): ScoredRows {
    if (listed) return listRowsOf(result, this.setup.ListVector);
    // The query's own columns, converted as `getRowsJS` converts them (the same converter).
    const rows: unknown[][] = [];
    for (let k = 0; k < result.chunkCount; k++) {
      for (const row of result.getChunk(k).convertRows(this.setup.converter)) rows.push(row);
    }
    return this.spec.algorithm === 'blazingtext' ? textRowsOf(rows) : featureRowsOf(rows);
  }
}

/** Takes from the front of a queue as many entries as {@link BATCH_MAX_ROWS} records hold (at least one), and their record count. */
function takeRecords<T extends { readonly rows: readonly unknown[] }>(queue: T[]): { readonly batch: T[]; readonly total: number } {
  const batch: T[] = [];
  let total = 0;
  for (let next = queue[0]; next !== undefined; next = queue[0]) {
    if (batch.length > 0 && total + next.rows.length > BATCH_MAX_ROWS) break;
    batch.push(next);
    total += next.rows.length;
    queue.shift();
  }
  return { batch, total };
}

/** A request the compiled query answered, waiting for DuckDB's audit. */
interface CompiledAnswer {
  readonly rows: readonly (readonly RawValue[])[];
  readonly features: RawFeatures;
}

/**
 * The scoring query compiled (core/serving/feature-program.ts) and checked against DuckDB on the verification records
 * (core/serving/verification-records.ts), or why it is not used. Records the program leaves to DuckDB are not compared;
 * a record DuckDB refuses must be one the program leaves to it.
 */
async function compileAndVerify(lane: Lane, spec: RawServingSpec): Promise<{ readonly program: FeatureProgram } | { readonly reason: string }> {
  if (spec.algorithm !== 'xgboost') return { reason: 'a text pipeline' };
  let program: FeatureProgram;
  let tree: unknown;
  try {
    const serialized = await lane.connection.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR))', [translateTrinoSql(spec.scoringSql)]);
    tree = JSON.parse(String(serialized.getRowsJS()[0]?.[0] ?? 'null'));
    program = compileFeatureProgram(tree, { relation: unquote(spec.relation), recordColumn: RAW_ROW_COLUMN, columns: lane.columns }, lane.columnTypes);
  } catch (error) {
    // Compiling is an optimisation: a query it cannot read (or a parse tree DuckDB cannot give) stays DuckDB's.
    return { reason: `not compiled: ${error instanceof UncompilableQueryError ? error.message : `the query's parse tree: ${(error as Error).message}`}` };
  }
  const records = verificationRecords(lane.columns, queryConstants(tree));
  for (let start = 0; start < records.length; start += BATCH_MAX_ROWS) {
    const chunk = records.slice(start, start + BATCH_MAX_ROWS);
    let together: RawFeatures | undefined;
    try {
      together = requestFeatures(await lane.query(chunk), 0, chunk.length, spec.algorithm);
    } catch {
      // A record DuckDB refuses fails the whole chunk: each record is then featurized alone.
      together = undefined;
    }
    for (const [r, row] of chunk.entries()) {
      const compiled = new Float32Array(program.nCols);
      try {
        program.evaluate(row, compiled, 0);
      } catch (error) {
        if (error instanceof RecordNeedsDuckDb) continue;
        // A fault of the program itself: the query stays DuckDB's rather than the featurizer failing to open.
        return { reason: `checked against DuckDB: the compiled query failed on the record ${JSON.stringify(row)}: ${(error as Error).message}` };
      }
      let duckDb: RawFeatures;
      try {
        duckDb = together === undefined ? requestFeatures(await lane.query([row]), 0, 1, spec.algorithm) : sliceFeatures(together, r, 1);
      } catch {
        return { reason: `checked against DuckDB: DuckDB refuses the record ${JSON.stringify(row)}, the compiled query answers it` };
      }
      const difference = firstDifference([row], { values: compiled, nRows: 1, nCols: program.nCols, texts: [] }, duckDb);
      if (difference !== undefined) return { reason: `checked against DuckDB: ${difference}` };
    }
  }
  return { program };
}

/**
 * The features of one request from a query's rows: records `offset` to `offset + n` of the batch, in record order.
 * @throws RawFeatureQueryError when the query returned no row for a record, or more than one
 */
function requestFeatures(rows: ScoredRows, offset: number, n: number, algorithm: RawServingSpec['algorithm']): RawFeatures {
  // Result row of each of the request's records.
  const at = new Int32Array(n).fill(-1);
  for (const [k, number] of rows.records.entries()) {
    const record = number - offset;
    if (!(record >= 0 && record < n)) continue;
    if ((at[record] ?? -1) >= 0) throw new RawFeatureQueryError(`record ${record}: the feature query returned more than one row for it (a join repeated it): each record needs one row to be scored`);
    at[record] = k;
  }
  const missing = at.indexOf(-1);
  if (missing >= 0) throw new RawFeatureQueryError(`record ${missing}: the feature query returned no row for it (a WHERE dropped it): each record needs one row to be scored`);
  if (algorithm === 'blazingtext') return { values: new Float32Array(0), nRows: n, nCols: 0, texts: Array.from(at, (k) => rows.texts[k] ?? '') };
  const { nCols } = rows;
  const values = new Float32Array(n * nCols);
  for (const [record, k] of at.entries()) values.set(rows.values.subarray(k * nCols, (k + 1) * nCols), record * nCols);
  return { values, nRows: n, nCols, texts: [] };
}

/** Records `offset` to `offset + n` of features in record order. */
function sliceFeatures(features: RawFeatures, offset: number, n: number): RawFeatures {
  return { values: features.values.subarray(offset * features.nCols, (offset + n) * features.nCols), nRows: n, nCols: features.nCols, texts: [] };
}

/** The first feature where the compiled answer and DuckDB's are not the same float (NaN equals NaN; ±0 are equal, as XGBoost compares them). */
function firstDifference(rows: readonly (readonly RawValue[])[], compiled: RawFeatures, duckDb: RawFeatures): string | undefined {
  if (compiled.nCols !== duckDb.nCols || compiled.nRows !== duckDb.nRows) return `the compiled query gives ${compiled.nCols} features per record, DuckDB ${duckDb.nCols}`;
  for (let i = 0; i < compiled.values.length; i++) {
    const a = compiled.values[i] as number;
    const b = duckDb.values[i] as number;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const record = Math.floor(i / compiled.nCols);
    return `record ${JSON.stringify(rows[record])}: feature ${(i % compiled.nCols) + 1} is ${b} by DuckDB, ${a} compiled`;
  }
  return undefined;
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier;
}

/** A query's rows in the order DuckDB returned them: each row's record number and its features or text. */
interface ScoredRows {
  readonly records: readonly number[];
  /** Tabular: `nCols` features per row, row-major (float32, NULL as NaN). */
  readonly values: Float32Array;
  readonly nCols: number;
  /** Text pipelines: each row's text. */
  readonly texts: readonly string[];
}

/** Rows of one FLOAT list each (feature-list-sql.ts): the record's number, then the features. */
function listRowsOf(result: DuckDBMaterializedResult, ListVector: typeof DuckDBListVector): ScoredRows {
  const records: number[] = [];
  let values = new Float32Array(0);
  let nCols = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    const lists = chunk.getColumnVector(0);
    if (!(lists instanceof ListVector)) throw new RawFeatureQueryError('the feature query did not return its features as one list per row');
    const items = lists.childVector;
    for (let r = 0; r < chunk.rowCount; r++) {
      const at = lists.getEntryOffset(r);
      if (records.length === 0) {
        nCols = lists.getEntryLength(r) - 1;
        values = new Float32Array(result.rowCount * nCols);
      }
      const base = records.length * nCols;
      records.push(toNumber(items.getItem(at)));
      for (let j = 0; j < nCols; j++) values[base + j] = toNumber(items.getItem(at + 1 + j));
    }
  }
  return { records, values, nCols, texts: [] };
}

/**
 * A typed value bound in place of a NULL whose null flag is set (the query never reads it): a value of the planned
 * type, so DuckDB keeps the plan (see the module comment).
 */
const PLACEHOLDER: Readonly<Record<RawColumn['type'], RawValue>> = {
  string: '',
  integer: 0,
  double: 0,
  boolean: false,
  date: '1970-01-01',
  timestamp: '1970-01-01 00:00:00',
};

/** A request waiting for its features. */
interface Waiting {
  readonly rows: readonly (readonly RawValue[])[];
  readonly resolve: (features: RawFeatures) => void;
  readonly reject: (error: unknown) => void;
}

async function prepare(connection: DuckDBConnection, sql: string, original: string): Promise<DuckDBPreparedStatement> {
  try {
    return await prepareSingleStatement(connection, translateTrinoSql(sql), 'SELECT', original);
  } catch (error) {
    throw explainDuckDbError(error, original);
  }
}

type Binder = Pick<DuckDBPreparedStatement, 'bindNull' | 'bindVarchar' | 'bindBigInt' | 'bindDouble' | 'bindBoolean'>;

function bindValue(statement: Binder, index: number, value: RawValue, column: RawColumn): void {
  if (value === null) statement.bindNull(index);
  else if (column.type === 'integer') statement.bindBigInt(index, BigInt(value as number));
  else if (column.type === 'double') statement.bindDouble(index, value as number);
  else if (column.type === 'boolean') statement.bindBoolean(index, value as boolean);
  // Strings, and dates and timestamps as ISO text the CAST reads.
  else statement.bindVarchar(index, String(value));
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendValue(appender: Appender, value: RawValue, column: RawColumn): void {
  if (value === null) appender.appendNull();
  else if (column.type === 'integer') appender.appendBigInt(BigInt(value as number));
  else if (column.type === 'double') appender.appendDouble(value as number);
  else if (column.type === 'boolean') appender.appendBoolean(value as boolean);
  else if (column.type === 'string') appender.appendVarchar(String(value));
  // Dates and timestamps: appended as text, DuckDB casts them to the column's type.
  else appender.appendValue(String(value));
}

/** Tabular rows as the query returns them: the record's number, the label, then the features (float32, NULL as NaN). */
function featureRowsOf(rows: readonly unknown[][]): ScoredRows {
  const nCols = Math.max(0, (rows[0]?.length ?? 2) - 2);
  const values = new Float32Array(rows.length * nCols);
  for (const [r, row] of rows.entries()) {
    for (let j = 0; j < nCols; j++) values[r * nCols + j] = toNumber(row[j + 2]);
  }
  return { records: rows.map((row) => Number(row[0])), values, nCols, texts: [] };
}

/** Text rows: the record's number, the label, the text as a channel line holds it. */
function textRowsOf(rows: readonly unknown[][]): ScoredRows {
  return {
    records: rows.map((row) => Number(row[0])),
    values: new Float32Array(0),
    nCols: 0,
    texts: rows.map((row) => (row[2] === null || row[2] === undefined ? '' : String(row[2]))),
  };
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

/**
 * The user's value of each class number: the label query over one row per allowed value of the label's column (every
 * other column NULL). Undefined when the query fails or drops rows there, or two values give one class (then the
 * answer names classes by number).
 */
async function learnLabelNames(connection: DuckDBConnection, spec: RawServingSpec, labelSql: string): Promise<ReadonlyMap<number, string> | undefined> {
  const [labelName] = spec.labelColumns;
  const column = spec.columns.find((c) => c.name === labelName);
  if (column?.allowed === undefined) return undefined;
  const columns = spec.columns.map((c) => `${quoteIdentifier(c.name)} ${COLUMN_TYPES[c.type]}`).join(', ');
  const relation = spec.relation;
  await connection.run(`CREATE TEMP TABLE __sluice_label_values (${columns})`);
  try {
    const literals = column.allowed.map((v) => `CAST(${typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v)} AS ${COLUMN_TYPES[column.type]})`);
    await connection.run(`INSERT INTO __sluice_label_values (${quoteIdentifier(column.name)}) VALUES ${literals.map((l) => `(${l})`).join(', ')}`);
    const sql = `WITH ${relation} AS (SELECT * FROM __sluice_label_values)\n${labelSql.trimStart().toLowerCase().startsWith('with') ? `SELECT * FROM (\n${labelSql}\n)` : labelSql}`;
    const rows = (await connection.runAndReadAll(translateTrinoSql(sql))).getRowsJS();
    if (rows.length !== column.allowed.length) return undefined;
    const names = new Map<number, string>();
    for (const [i, row] of rows.entries()) {
      const value = Number(row[0]);
      if (!Number.isInteger(value) || names.has(value)) return undefined;
      names.set(value, String(column.allowed[i]));
    }
    return names;
  } catch {
    // Label names are a courtesy: a query that cannot compute the label from one column answers class numbers.
    return undefined;
  } finally {
    await connection.run('DROP TABLE IF EXISTS __sluice_label_values');
  }
}
