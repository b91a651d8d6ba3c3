import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AUDIT_INTERVAL_MS, openDuckDbAuditor, RawFeaturizer } from '../../../core/serving/raw-featurizer.js';
import type { FeatureAuditor, RawFeatures } from '../../../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../../../core/serving/raw-records.js';
import type { CheckedRecords } from '../../../core/serving/raw-records.js';
import { parseCsv } from '../../../core/serving/raw-request.js';
import { rawServingSpecOf } from '../../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../../core/serving/raw-serving-spec.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { ordersRawSpec } from '../../support/raw-spec-fixtures.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

// A guard against a hang, not a speed limit: opening a compiled featurizer checks it on DuckDB first.
jest.setTimeout(120_000);

const PIPELINES = path.join(REPO_ROOT, 'pipelines');
const churn = rawServingSpecOf(loadPipelineSpec('churn', PIPELINES)) as RawServingSpec;

/** Every churn customer of the shipped data, checked against the contract as the endpoint checks a CSV body. */
function churnCustomers(): CheckedRecords {
  const [header = [], ...rows] = parseCsv(readFileSync(path.join(PIPELINES, 'churn/data/telco_churn.csv'), 'utf8'));
  const records = rows.filter((row) => row.length === header.length).map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
  return checkRawRecords(churn, records, 'csv', churn.nullValues);
}

/** Records `start` to `end` of checked records, as a request of their own. */
function some(records: CheckedRecords, start: number, end: number): CheckedRecords {
  return { columns: records.columns, rows: records.rows.slice(start, end) };
}

/** Features as plain numbers, so that a difference names its position (NaN equals NaN for toEqual). */
function floats(features: RawFeatures): number[] {
  return Array.from(features.values);
}

/** Features of several answers, one after the other. */
function joined(answers: readonly RawFeatures[]): number[] {
  return answers.flatMap(floats);
}

/** The answers of DuckDB alone (a featurizer without auditor), every record in one query. */
async function duckDbFeatures(spec: RawServingSpec, records: CheckedRecords): Promise<RawFeatures> {
  const featurizer = await RawFeaturizer.open(spec, { gatherMs: 0 });
  try {
    return await featurizer.featurize(records);
  } finally {
    await featurizer.close();
  }
}

/** An auditor that records how it is used, around another one (or around nothing: it then answers no features). */
interface WatchedAuditor extends FeatureAuditor {
  readonly calls: { featurize: number; close: number };
  /** Resolves once the next featurize call has answered, and the featurizer has had a loop turn to read its answer. */
  answered(): Promise<void>;
}

function watched(inner: FeatureAuditor | undefined, alter: (features: RawFeatures) => RawFeatures = (features) => features): WatchedAuditor {
  const calls = { featurize: 0, close: 0 };
  let waiters: (() => void)[] = [];
  return {
    calls,
    answered: () => new Promise<void>((resolve) => waiters.push(() => setImmediate(resolve))),
    featurize: async (rows) => {
      calls.featurize += 1;
      if (inner === undefined) throw new Error('this auditor featurizes nothing');
      try {
        return alter(await inner.featurize(rows));
      } finally {
        const told = waiters;
        waiters = [];
        for (const tell of told) tell();
      }
    },
    close: async () => {
      calls.close += 1;
      await inner?.close();
    },
  };
}

/**
 * A promise that tells whether a handler was attached to it before it settled: `await` and `Promise.resolve` call
 * `then` on a promise of a subclass (not on a plain one), so its first `then` is when someone began to handle it.
 */
class WatchedPromise<T> extends Promise<T> {
  public handledBeforeSettled: boolean | undefined;
  private settled = false;

  public constructor(executor: (resolve: (value: T) => void, reject: (reason: unknown) => void) => void) {
    let done: () => void = () => undefined;
    super((resolve, reject) =>
      executor(
        (value) => {
          done();
          resolve(value);
        },
        (reason) => {
          done();
          reject(reason);
        },
      ),
    );
    done = () => {
      this.settled = true;
    };
  }

  // Promises derived from this one (then, catch, finally) are plain ones.
  public static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  public override then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.handledBeforeSettled ??= !this.settled;
    return super.then(onFulfilled, onRejected);
  }
}

describe('RawFeaturizer compiled features', () => {
  let customers: CheckedRecords;
  let expected: RawFeatures;

  beforeAll(async () => {
    customers = churnCustomers();
    expected = await duckDbFeatures(churn, customers);
  });

  describe('churn with a DuckDB auditor', () => {
    it('gives every customer the floats DuckDB gives, without a query, when requests hold one record or several', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn, { auditor: openDuckDbAuditor(churn), gatherMs: 0 });
      const n = customers.rows.length;
      const half = Math.floor(n / 2);

      try {
        // Act: the first half one record per request, the rest in requests of 1, 2, 3, … 40 records and one of 300.
        const single = await Promise.all(Array.from({ length: half }, (_, r) => featurizer.featurize(some(customers, r, r + 1))));
        const grouped: RawFeatures[] = [];
        for (let start = half, size = 1; start < n; start += size, size = size === 40 ? 300 : size === 300 ? 1 : size + 1) {
          grouped.push(await featurizer.featurize(some(customers, start, Math.min(n, start + size))));
        }

        // Assess
        expect(featurizer.engine).toBe('compiled');
        expect(featurizer.notCompiledBecause).toBeUndefined();
        expect(grouped.map((answer) => answer.nCols)).toEqual(grouped.map(() => expected.nCols));
        expect(joined([...single, ...grouped])).toEqual(floats(expected));
        expect(featurizer.queries).toBe(0);
      } finally {
        await featurizer.close();
      }
      // Every answer was either audited or counted as not audited (more came in one interval than an audit takes).
      expect(featurizer.audit.audited + featurizer.audit.unaudited).toBe(n);
      expect(featurizer.audit.mismatch).toBeUndefined();
    });

    it('audits every answer still waiting when it is closed', async () => {
      // Prepare: 200 one-record requests and one of 40, fewer records than one audit takes.
      const auditor = watched(await openDuckDbAuditor(churn));
      const featurizer = await RawFeaturizer.open(churn, { auditor, gatherMs: 0 });
      const answers = await Promise.all([...Array.from({ length: 200 }, (_, r) => featurizer.featurize(some(customers, r, r + 1))), featurizer.featurize(some(customers, 200, 240))]);
      const before = featurizer.audit;

      // Act
      await featurizer.close();

      // Assess
      expect(joined(answers)).toEqual(floats(expected).slice(0, 240 * expected.nCols));
      expect(before).toEqual({ audited: 0, unaudited: 0, mismatch: undefined });
      expect(featurizer.audit).toEqual({ audited: 240, unaudited: 0, mismatch: undefined });
      expect(auditor.calls).toEqual({ featurize: 1, close: 1 });
    });
  });

  describe('audits while serving', () => {
    afterEach(() => jest.useRealTimers());

    it('audits at most one batch of the answers given in each interval and counts the rest unaudited when more came', async () => {
      // Prepare: timers faked (the audit interval), the loop's own turns and promise jobs real.
      const auditor = watched(await openDuckDbAuditor(churn));
      const featurizer = await RawFeaturizer.open(churn, { auditor, gatherMs: 0 });
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const ask = (start: number, end: number): Promise<RawFeatures[]> =>
        Promise.all(Array.from({ length: end - start }, (_, k) => featurizer.featurize(some(customers, start + k, start + k + 1))));

      try {
        // Act: 300 answers in the first interval (256 wait for the audit), 10 in the second.
        await ask(0, 300);
        const waiting = featurizer.audit;
        const firstAudit = auditor.answered();
        jest.advanceTimersByTime(AUDIT_INTERVAL_MS);
        await firstAudit;
        const afterFirst = featurizer.audit;
        await ask(300, 310);
        const secondAudit = auditor.answered();
        jest.advanceTimersByTime(AUDIT_INTERVAL_MS);
        await secondAudit;

        // Assess
        expect(waiting).toEqual({ audited: 0, unaudited: 44, mismatch: undefined });
        expect(afterFirst).toEqual({ audited: 256, unaudited: 44, mismatch: undefined });
        expect(featurizer.audit).toEqual({ audited: 266, unaudited: 44, mismatch: undefined });
        expect(auditor.calls.featurize).toBe(2);
        expect(featurizer.engine).toBe('compiled');
      } finally {
        await featurizer.close();
      }
      // Nothing was left waiting for close() to audit.
      expect(auditor.calls).toEqual({ featurize: 2, close: 1 });
    });
  });

  describe('a record the compiled query leaves to DuckDB', () => {
    it('featurizes its request with DuckDB, as DuckDB alone does, when an integer is beyond 2^53', async () => {
      // Prepare: tenure beyond what a double holds exactly (the contract's max is not the featurizer's business).
      const tenure = customers.columns.findIndex((c) => c.name === 'tenure');
      const big = (customers.rows[0] ?? []).map((value, j) => (j === tenure ? 2 ** 60 : value));
      const request: CheckedRecords = { columns: customers.columns, rows: [customers.rows[1] ?? [], big] };
      const alone = await duckDbFeatures(churn, request);
      const featurizer = await RawFeaturizer.open(churn, { auditor: openDuckDbAuditor(churn), gatherMs: 0 });

      try {
        // Act
        const compiled = await featurizer.featurize(some(customers, 0, 1));
        const before = featurizer.queries;
        const answer = await featurizer.featurize(request);

        // Assess
        expect(floats(compiled)).toEqual(floats(expected).slice(0, expected.nCols));
        expect(before).toBe(0);
        expect(featurizer.queries).toBe(1);
        expect(floats(answer)).toEqual(floats(alone));
        expect(answer.values[answer.nCols + 4]).toBe(Math.fround(2 ** 60));
        expect(featurizer.engine).toBe('compiled');
      } finally {
        await featurizer.close();
      }
      expect(featurizer.audit).toEqual({ audited: 1, unaudited: 0, mismatch: undefined });
    });
  });

  describe('a query the compiler refuses', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'raw-featurizer-compiled-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('featurizes with DuckDB, names the function and closes the auditor when a feature calls ln', async () => {
      // Prepare
      // ln() is outside the compiled subset of SQL (core/serving/feature-program.ts), and DuckDB and Trino both have it.
      const spec = ordersRawSpec(dir, "SELECT IF(status = 'open', 1, 0) AS label, amount, ln(amount + 1) AS log_amount FROM orders");
      const auditor = watched(await openDuckDbAuditor(spec));

      const request = checkRawRecords(spec, [{ amount: 3 }], 'json');
      const alone = await duckDbFeatures(spec, request);

      // Act
      const featurizer = await RawFeaturizer.open(spec, { auditor, gatherMs: 0 });
      const answer = await featurizer.featurize(request);
      await featurizer.close();

      // Assess
      expect(featurizer.engine).toBe('duckdb');
      expect(featurizer.notCompiledBecause).toContain('the function ln');
      expect(auditor.calls).toEqual({ featurize: 0, close: 1 });
      expect(featurizer.queries).toBe(1);
      expect(floats(answer)).toEqual(floats(alone));
      expect(answer.values[0]).toBe(3);
    });
  });

  describe('no auditor, or one that does not start', () => {
    it('featurizes with DuckDB when no auditor is given', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn, { gatherMs: 0 });

      try {
        // Act
        const answer = await featurizer.featurize(some(customers, 0, 3));

        // Assess
        expect(featurizer.engine).toBe('duckdb');
        expect(featurizer.queries).toBe(1);
        expect(floats(answer)).toEqual(floats(expected).slice(0, 3 * expected.nCols));
      } finally {
        await featurizer.close();
      }
    });

    it('featurizes with DuckDB and says why when the auditor promise rejects', async () => {
      // Prepare: a promise rejected while open() still opens DuckDB, as a worker that fails at once leaves it. Nobody
      // may leave it unhandled meanwhile: in Node an unhandled rejection ends the process (the endpoint's).
      const failed = new WatchedPromise<FeatureAuditor>((_, reject) => setImmediate(() => reject(new Error('the worker could not start'))));

      // Act
      const featurizer = await RawFeaturizer.open(churn, { auditor: failed, gatherMs: 0 });
      const answer = await featurizer.featurize(some(customers, 0, 1));
      await featurizer.close();

      // Assess
      expect(featurizer.engine).toBe('duckdb');
      expect(featurizer.notCompiledBecause).toBe('the auditor did not start: the worker could not start');
      expect(failed.handledBeforeSettled).toBe(true);
      expect(featurizer.queries).toBe(1);
      expect(floats(answer)).toEqual(floats(expected).slice(0, expected.nCols));
    });

    it('answers compiled while the auditor starts, then turns the compiled query off and says why when it fails to start', async () => {
      // Prepare: an auditor still starting when open() returns (a worker thread starts slower than DuckDB opens).
      let fail: (error: Error) => void = () => undefined;
      const starting = new Promise<FeatureAuditor>((_, reject) => {
        fail = reject;
      });
      const told: string[] = [];
      const featurizer = await RawFeaturizer.open(churn, { auditor: starting, gatherMs: 0, onAuditMismatch: (message) => told.push(message) });
      const before = featurizer.engine;
      const compiled = await featurizer.featurize(some(customers, 0, 2));

      try {
        // Act
        fail(new Error('the worker stopped while it started'));
        await starting.catch(() => undefined);
        const after = await featurizer.featurize(some(customers, 2, 3));

        // Assess
        expect(before).toBe('compiled');
        expect(featurizer.queries).toBe(1);
        expect(floats(compiled)).toEqual(floats(expected).slice(0, 2 * expected.nCols));
        expect(floats(after)).toEqual(floats(expected).slice(2 * expected.nCols, 3 * expected.nCols));
        expect(featurizer.engine).toBe('duckdb');
        expect(featurizer.notCompiledBecause).toBe('the auditor did not start: the worker stopped while it started');
        expect(told).toHaveLength(1);
      } finally {
        await featurizer.close();
      }
      // The two compiled answers could not be audited.
      expect(featurizer.audit).toEqual({ audited: 0, unaudited: 2, mismatch: 'the auditor did not start: the worker stopped while it started' });
    });
  });

  describe('an audit that finds a difference', () => {
    /** DuckDB disagreeing: the real auditor's answers with the 5th feature (tenure) of every record one more. */
    const tenurePlusOne = (features: RawFeatures): RawFeatures => {
      const values = Float32Array.from(features.values);
      for (let r = 0; r < features.nRows; r++) values[r * features.nCols + 4] = (values[r * features.nCols + 4] ?? 0) + 1;
      return { ...features, values };
    };

    afterEach(() => jest.useRealTimers());

    it('tells the owner once, naming the record and feature, and uses DuckDB from then on when the interval\'s audit differs', async () => {
      // Prepare: timers faked (the audit interval), the loop's own turns and promise jobs real.
      const auditor = watched(await openDuckDbAuditor(churn), tenurePlusOne);
      const messages: string[] = [];
      let told: () => void = () => undefined;
      const mismatch = new Promise<void>((resolve) => {
        told = resolve;
      });
      const featurizer = await RawFeaturizer.open(churn, {
        auditor,
        gatherMs: 0,
        onAuditMismatch: (message) => {
          messages.push(message);
          told();
        },
      });
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const record = customers.rows[7] ?? [];
      const first = await featurizer.featurize(some(customers, 7, 8));
      const second = await featurizer.featurize(some(customers, 8, 10));

      try {
        // Act
        jest.advanceTimersByTime(AUDIT_INTERVAL_MS);
        await mismatch;
        const later = await featurizer.featurize(some(customers, 10, 12));

        // Assess
        expect(floats(first)).toEqual(floats(expected).slice(7 * expected.nCols, 8 * expected.nCols));
        expect(second.nRows).toBe(2);
        expect(messages).toHaveLength(1);
        expect(messages[0]).toContain(`record ${JSON.stringify(record)}: feature 5 is ${Math.fround(Number(record[4]) + 1)} by DuckDB, ${Number(record[4])} compiled`);
        expect(featurizer.engine).toBe('duckdb');
        expect(featurizer.notCompiledBecause).toContain('feature 5');
        expect(featurizer.queries).toBe(1);
        expect(floats(later)).toEqual(floats(expected).slice(10 * expected.nCols, 12 * expected.nCols));
      } finally {
        await featurizer.close();
      }
      // Nobody is told twice, and the answers after the difference are not audited.
      expect(messages).toHaveLength(1);
      expect(featurizer.audit.audited).toBe(0);
      // The second answer (two records) came after the one that differed: not compared, so unaudited.
      expect(featurizer.audit.unaudited).toBe(2);
      expect(featurizer.audit.mismatch).toContain('feature 5');
      expect(auditor.calls.close).toBe(1);
    });

    it('tells the owner once when the audit made at close() differs', async () => {
      // Prepare
      const auditor = watched(await openDuckDbAuditor(churn), tenurePlusOne);
      const onAuditMismatch = jest.fn<undefined, [string]>();
      const featurizer = await RawFeaturizer.open(churn, { auditor, gatherMs: 0, onAuditMismatch });
      await Promise.all([featurizer.featurize(some(customers, 0, 1)), featurizer.featurize(some(customers, 1, 4))]);

      // Act
      await featurizer.close();

      // Assess
      expect(onAuditMismatch).toHaveBeenCalledTimes(1);
      expect(onAuditMismatch.mock.calls[0]?.[0]).toContain(`record ${JSON.stringify(customers.rows[0])}: feature 5`);
      expect(featurizer.engine).toBe('duckdb');
      expect(auditor.calls).toEqual({ featurize: 1, close: 1 });
    });
  });

  describe('a text pipeline', () => {
    it('featurizes with DuckDB and closes the auditor when the pipeline is reviews', async () => {
      // Prepare
      const reviews = rawServingSpecOf(loadPipelineSpec('reviews', PIPELINES)) as RawServingSpec;
      const auditor = watched(undefined);

      // Act
      const featurizer = await RawFeaturizer.open(reviews, { auditor, gatherMs: 0 });
      await featurizer.close();

      // Assess
      expect(featurizer.engine).toBe('duckdb');
      expect(featurizer.notCompiledBecause).toBe('a text pipeline');
      expect(auditor.calls).toEqual({ featurize: 0, close: 1 });
    });
  });
});
