import path from 'node:path';
import { GATHER_WINDOW_MS, RawFeaturizer } from '../../../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../../../core/serving/raw-records.js';
import { readRawRequest } from '../../../core/serving/raw-request.js';
import { rawServingSpecOf } from '../../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../../core/serving/raw-serving-spec.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const churn = rawServingSpecOf(loadPipelineSpec('churn', path.join(REPO_ROOT, 'pipelines'))) as RawServingSpec;

const CUSTOMER: Record<string, unknown> = {
  female: 1, senior_citizen: 0, partner: 1, dependents: 0, tenure: 1, phone_service: 0, multiple_lines: 'No phone service',
  internet_service: 'DSL', online_security: 'No', online_backup: 'Yes', device_protection: 'No', tech_support: 'No',
  streaming_tv: 'No', streaming_movies: 'No', contract: 'Month-to-month', paperless_billing: 1,
  payment_method: 'Electronic check', monthly_charges: 29.85, total_charges: null,
};

describe('checkRawRecords', () => {
  describe('CSV values', () => {
    it('types the values as the contract declares and reads NA as missing when a CSV record is checked', () => {
      // Prepare
      const record = Object.fromEntries(Object.entries(CUSTOMER).map(([k, v]) => [k, v === null ? 'NA' : String(v)]));

      // Act
      const checked = checkRawRecords(churn, [record], 'csv', churn.nullValues);

      // Assess
      const byName = Object.fromEntries(checked.columns.map((c, i) => [c.name, checked.rows[0]?.[i]]));
      expect(byName).toMatchObject({ tenure: 1, monthly_charges: 29.85, total_charges: null, contract: 'Month-to-month' });
      expect(checked.columns.map((c) => c.name)).not.toContain('churn');
    });
  });

  describe('broken rules', () => {
    it.each([
      [{ tenure: '27.5' }, 'csv', 'tenure', 'type'],
      [{ tenure: -1 }, 'json', 'tenure', 'min'],
      [{ payment_method: 'x'.repeat(65) }, 'json', 'payment_method', 'maxLength'],
      [{ churn: 'Maybe' }, 'json', 'churn', 'allowed'],
      [{ contract: null }, 'json', 'contract', 'nullable'],
    ] as const)('names the record, column and rule when %p is sent as %s', (change, kind, column, rule) => {
      // Prepare
      const record = kind === 'csv' ? Object.fromEntries(Object.entries({ ...CUSTOMER, ...change }).map(([k, v]) => [k, v === null ? '' : String(v)])) : { ...CUSTOMER, ...change };

      // Act
      const check = () => checkRawRecords(churn, [CUSTOMER, record], kind, churn.nullValues);

      // Assess
      expect(check).toThrow(expect.objectContaining({ name: 'RawRecordError', record: 1, column, rule }));
    });
  });
});

describe('readRawRequest', () => {
  describe('featurized bodies', () => {
    it.each([
      ['text/csv', '1,0,2.5\n'],
      ['application/json', '{"instances": [[1, 0, 2.5]]}'],
      ['application/json', '{"instances": [{"features": [1, 0, 2.5]}]}'],
      ['text/csv', 'nan,1,2\n'],
    ])('leaves %s %p to the featurized contract when it is not raw records', (contentType, body) => {
      // Act
      const raw = readRawRequest(body, contentType, churn);

      // Assess
      expect(raw).toBeUndefined();
    });
  });

  describe('raw bodies', () => {
    it('reads a quoted CSV whose header names contract columns as records of text', () => {
      // Act
      const raw = readRawRequest('tenure,contract\n3,"One year"\n', 'text/csv', churn);

      // Assess
      expect(raw).toEqual({ kind: 'csv', records: [{ tenure: '3', contract: 'One year' }] });
    });
  });
});

describe('RawFeaturizer', () => {
  describe('requests arriving together', () => {
    it('gives each request its own rows, in order, when several are featurized in one batch', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn);
      const tenures = [1, 12, 30, 72];
      const requests = tenures.map((tenure) => checkRawRecords(churn, [{ ...CUSTOMER, tenure }, { ...CUSTOMER, tenure: tenure + 1 }], 'json'));

      try {
        // Act
        const answers = await Promise.all(requests.map((r) => featurizer.featurize(r)));

        // Assess: tenure is the 5th feature of churn's query.
        expect(answers.map((a) => [a.values[4], a.values[a.nCols + 4]])).toEqual(tenures.map((t) => [t, t + 1]));
        expect(featurizer.labelNames).toEqual(new Map([[0, 'No'], [1, 'Yes']]));
      } finally {
        await featurizer.close();
      }
    });
  });
});

/** Timers faked, the loop's own turns (setImmediate) and promise jobs real: a wait on the gathering window never ends. */
const FAKE_TIMERS_ONLY: Parameters<typeof jest.useFakeTimers>[0] = { doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] };

/** Lets a few event-loop turns pass (no timer): enough for a dispatch due in a check phase to have run. */
async function loopTurns(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('RawFeaturizer gathering', () => {
  const ask = (featurizer: RawFeaturizer, tenure: number): ReturnType<RawFeaturizer['featurize']> =>
    featurizer.featurize(checkRawRecords(churn, [{ ...CUSTOMER, tenure }], 'json'));
  const tenures = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

  afterEach(() => jest.useRealTimers());

  describe('a lone request', () => {
    it('is featurized without waiting for the window when no other request is outstanding', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn);
      jest.useFakeTimers(FAKE_TIMERS_ONLY);

      try {
        // Act: the timers never advance, so a request that waited for the window would never be answered.
        const answered: number[] = [];
        for (const tenure of [1, 2, 3]) answered.push((await ask(featurizer, tenure)).values[4] ?? -1);

        // Assess
        expect(answered).toEqual([1, 2, 3]);
        expect(featurizer.queries).toBe(3);
      } finally {
        await featurizer.close();
      }
    });
  });

  describe('ten requests outstanding together, then nine', () => {
    /** A featurizer (timers faked from here on) that has had ten requests outstanding together, and its query count. */
    const featurizerThatSawTen = async (): Promise<{ featurizer: RawFeaturizer; before: number }> => {
      const featurizer = await RawFeaturizer.open(churn);
      jest.useFakeTimers(FAKE_TIMERS_ONLY);
      await Promise.all(tenures(10).map((t) => ask(featurizer, t)));
      return { featurizer, before: featurizer.queries };
    };

    it('waits for the tenth and featurizes the ten in one query when it comes within the window', async () => {
      // Prepare
      const { featurizer, before } = await featurizerThatSawTen();

      try {
        // Act
        const nine = tenures(9).map((t) => ask(featurizer, t));
        await loopTurns(5);
        const startedWithNine = featurizer.queries - before;
        const answers = await Promise.all([...nine, ask(featurizer, 10)]);

        // Assess
        expect(startedWithNine).toBe(0);
        expect(featurizer.queries - before).toBe(1);
        expect(answers.map((a) => a.values[4])).toEqual(tenures(10));
      } finally {
        await featurizer.close();
      }
    });

    it('featurizes the nine when the window closes, and then expects nine, when the tenth does not come', async () => {
      // Prepare
      const { featurizer, before } = await featurizerThatSawTen();

      try {
        // Act
        const nine = tenures(9).map((t) => ask(featurizer, t));
        await loopTurns(5);
        const startedBeforeTheWindow = featurizer.queries - before;
        jest.advanceTimersByTime(GATHER_WINDOW_MS);
        const answers = await Promise.all(nine);
        // Nine again: now expected, they run without the window (the timers stay where they are).
        const again = await Promise.all(tenures(9).map((t) => ask(featurizer, t)));

        // Assess
        expect(startedBeforeTheWindow).toBe(0);
        expect(answers.map((a) => a.values[4])).toEqual(tenures(9));
        expect(again.map((a) => a.values[4])).toEqual(tenures(9));
        expect(featurizer.queries - before).toBe(2);
      } finally {
        await featurizer.close();
      }
    });
  });
});

/** A contract with every column type, each nullable, and a query reading every one of them. */
const EVERY_TYPE: RawServingSpec = {
  pipeline: 'every-type',
  relation: '"__sluice_raw_records"',
  scoringSql: [
    'SELECT "__sluice_record", CAST(NULL AS INTEGER) AS label,',
    '  n, x, IF(b, 1, 0) AS b, length(s) AS s_length, s IS NULL AS s_missing,',
    '  date_diff(\'day\', DATE \'2020-01-01\', d) AS days, epoch(ts) AS seconds',
    'FROM "__sluice_raw_records"',
  ].join('\n'),
  nullValues: [''],
  algorithm: 'xgboost',
  unknownColumns: 'reject',
  labelColumns: [],
  columns: [
    { name: 'n', type: 'integer', nullable: true },
    { name: 'x', type: 'double', nullable: true },
    { name: 'b', type: 'boolean', nullable: true },
    { name: 's', type: 'string', nullable: true },
    { name: 'd', type: 'date', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
  ],
};

/** Records of every type, a NULL in a different column of each (and one record with none). */
const TYPED_RECORDS: readonly Record<string, unknown>[] = Array.from({ length: 14 }, (_, i) => {
  const record: Record<string, unknown> = { n: i * 7 - 20, x: i / 3, b: i % 2 === 0, s: 'x'.repeat(i), d: `2021-0${(i % 9) + 1}-1${i % 10}`, ts: `2022-03-0${(i % 9) + 1} 1${i % 10}:15:30` };
  const names = Object.keys(record);
  const nulled = names[i % (names.length + 1)];
  if (nulled !== undefined) record[nulled] = null;
  return record;
});

describe('RawFeaturizer with NULLs, dates and timestamps', () => {
  describe('one record per request through VALUES, against all records through the appender', () => {
    it('gives the same features to the float when records hold NULLs in every column type', async () => {
      // Prepare
      const viaValues = await RawFeaturizer.open(EVERY_TYPE, { mode: 'values' });
      const viaAppender = await RawFeaturizer.open(EVERY_TYPE, { mode: 'appender' });

      try {
        // Act: one by one, so the VALUES statement runs again after every pattern of NULLs.
        const single: number[] = [];
        for (const record of TYPED_RECORDS) single.push(...(await viaValues.featurize(checkRawRecords(EVERY_TYPE, [record], 'json'))).values);
        const all = await viaAppender.featurize(checkRawRecords(EVERY_TYPE, TYPED_RECORDS, 'json'));

        // Assess
        expect(all.nRows).toBe(TYPED_RECORDS.length);
        expect(single).toEqual([...all.values]);
        // A NULL integer, double, string, date or timestamp is a missing feature (NaN); a NULL boolean is IF's 0.
        expect(single.filter((v) => Number.isNaN(v))).toHaveLength(10);
        expect(all.values[6]).toBe(Math.fround(Date.UTC(2022, 2, 1, 10, 15, 30) / 1000));
      } finally {
        await Promise.all([viaValues.close(), viaAppender.close()]);
      }
    });
  });
});

describe('RawFeaturizer connections', () => {
  describe('requests waiting while a connection is busy', () => {
    it('opens a second connection and answers each request its own record when 39 single-record requests arrive while the first one\'s query runs', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn, { connections: 2 });
      const tenures = Array.from({ length: 40 }, (_, i) => i + 1);
      const ask = (tenure: number, round: number): ReturnType<RawFeaturizer['featurize']> =>
        featurizer.featurize(checkRawRecords(churn, [{ ...CUSTOMER, tenure, total_charges: round === 0 ? null : tenure * 10 }], 'json'));

      try {
        // Act: the first request holds the first connection (its query starts in the loop turn it came in), the
        // others then wait, which opens the second; rounds of 40 requests go on (each awaited) until it is open, a
        // bounded number of times. (Forty arriving in one turn would share one query and wait for nothing.)
        const answered: number[][] = [];
        for (let round = 0; round < 500 && featurizer.connections < 2; round++) {
          const first = ask(1, round);
          await loopTurns(1);
          const answers = await Promise.all([first, ...tenures.slice(1).map((tenure) => ask(tenure, round))]);
          answered.push(...answers.map((a, i) => [a.nRows, a.values[4] ?? -1, a.values[8] ?? -1, tenures[i] ?? 0, round]));
        }
        const afterwards = await Promise.all(tenures.map((tenure) => featurizer.featurize(checkRawRecords(churn, [{ ...CUSTOMER, tenure, total_charges: tenure }], 'json'))));

        // Assess: tenure is the 5th feature, total_charges the 9th (0 when NULL).
        expect(featurizer.connections).toBe(2);
        expect(answered.map(([rows, tenure, charges]) => [rows, tenure, charges])).toEqual(answered.map(([, , , t = 0, round]) => [1, t, round === 0 ? 0 : t * 10]));
        expect(afterwards.map((a) => [a.values[4], a.values[8]])).toEqual(tenures.map((t) => [t, t]));
      } finally {
        await featurizer.close();
      }
    });

    it('keeps one connection when requests come one at a time', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn, { connections: 2 });

      try {
        // Act
        for (const tenure of [1, 2, 3]) await featurizer.featurize(checkRawRecords(churn, [{ ...CUSTOMER, tenure }], 'json'));

        // Assess
        expect(featurizer.connections).toBe(1);
      } finally {
        await featurizer.close();
      }
    });
  });

  describe('the default pool', () => {
    it('keeps one connection and batches waiting requests on it when 40 requests arrive at once', async () => {
      // Prepare
      const featurizer = await RawFeaturizer.open(churn);
      const tenures = Array.from({ length: 40 }, (_, i) => i + 1);

      try {
        // Act
        const answers = await Promise.all(tenures.map((tenure) => featurizer.featurize(checkRawRecords(churn, [{ ...CUSTOMER, tenure }], 'json'))));

        // Assess
        expect(featurizer.connections).toBe(1);
        expect(answers.map((a) => a.values[4])).toEqual(tenures);
      } finally {
        await featurizer.close();
      }
    });
  });

  describe('a query that repeats a record', () => {
    it('refuses the request naming the record when a join gives it two rows', async () => {
      // Prepare
      const joined: RawServingSpec = { ...EVERY_TYPE, scoringSql: `${EVERY_TYPE.scoringSql.replace('FROM "__sluice_raw_records"', 'FROM "__sluice_raw_records" CROSS JOIN (VALUES (1), (2)) AS twice(k)')}` };
      const featurizer = await RawFeaturizer.open(joined);

      try {
        // Act
        const featurized = featurizer.featurize(checkRawRecords(joined, [TYPED_RECORDS[0]], 'json'));

        // Assess
        await expect(featurized).rejects.toThrow(/record 0: the feature query returned more than one row/);
      } finally {
        await featurizer.close();
      }
    });
  });
});
