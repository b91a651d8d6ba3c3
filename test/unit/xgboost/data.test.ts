import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseCsvText, readChannel, readChannels } from '../../../local/xgboost/data.js';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { CsvFormatError, EmptyChannelError } from '../../../local/xgboost/errors.js';

describe('CSV channel reader', () => {
  describe('well-formed text', () => {
    it('puts the label first and features row-major when rows are numeric', () => {
      // Prepare
      const text = '1,0.5,2\n0,-1.25,3e2\n';

      // Act
      const data = parseCsvText(text);

      // Assess
      expect(data.nRows).toBe(2);
      expect(data.nCols).toBe(2);
      expect(Array.from(data.labels)).toEqual([1, 0]);
      expect(Array.from(data.features)).toEqual([0.5, 2, -1.25, 300]);
      expect(data.weights).toBeUndefined();
    });

    it('reads an empty field as missing (NaN) when a feature is absent', () => {
      // Prepare
      const text = '1,,2\n0,3,\n';

      // Act
      const data = parseCsvText(text);

      // Assess
      expect(Array.from(data.features)).toEqual([NaN, 2, 3, NaN]);
    });

    it('handles CRLF line ends, blank lines, spaces around values and a last line without newline', () => {
      // Prepare
      const text = '1, 2 ,3\r\n\r\n\n0,4,5';

      // Act
      const data = parseCsvText(text);

      // Assess
      expect(data.nRows).toBe(2);
      expect(Array.from(data.features)).toEqual([2, 3, 4, 5]);
    });

    it('rounds each value like Number() then float32 when values have many digits', () => {
      // Prepare: fast-path and slow-path numbers side by side
      const values = ['0.1', '-123.456789', '3.14159265358979323846', '1e-30', '6.02214076e23', '0.000001', '7'];
      const text = `1,${values.join(',')}\n`;

      // Act
      const data = parseCsvText(text);

      // Assess
      expect(Array.from(data.features)).toEqual(values.map((value) => Math.fround(Number(value))));
    });

    it('splits the weight column off when csv_weights is on', () => {
      // Prepare
      const text = '1,0.5,10,11\n0,2,20,21\n';

      // Act
      const data = parseCsvText(text, { weightColumn: true });

      // Assess
      expect(Array.from(data.weights ?? [])).toEqual([0.5, 2]);
      expect(data.nCols).toBe(2);
      expect(Array.from(data.features)).toEqual([10, 11, 20, 21]);
    });
  });

  describe('malformed text', () => {
    it('names the file, line and column when a value is not numeric', () => {
      // Prepare
      const text = '1,2,3\n0,4,abc\n';

      // Act
      const act = (): unknown => parseCsvText(text, { source: 'train.csv' });

      // Assess
      expect(act).toThrow(CsvFormatError);
      expect(act).toThrow('train.csv:2: column 3 is not a number: "abc"');
    });

    it('hints at the header when the first line is text', () => {
      // Prepare
      const text = 'label,f1\n1,2\n';

      // Act
      const act = (): unknown => parseCsvText(text, { source: 'data.csv' });

      // Assess
      expect(act).toThrow('data.csv:1: column 1 is not a number: "label" (the CSV must have no header row)');
    });

    it('reports the expected width when a row is ragged', () => {
      // Prepare
      const text = '1,2,3\n0,4\n';

      // Act
      const act = (): unknown => parseCsvText(text, { source: 'a.csv' });

      // Assess
      expect(act).toThrow('a.csv:2: expected 3 columns (as in a.csv:1), found 2');
    });

    it('refuses a row whose label is empty', () => {
      // Prepare
      const text = ',2,3\n';

      // Act
      const act = (): unknown => parseCsvText(text, { source: 'a.csv' });

      // Assess
      expect(act).toThrow('a.csv:1: the label (column 1) is missing');
    });

    it('refuses a row with a label and no feature', () => {
      // Prepare
      const text = '1\n';

      // Act
      const act = (): unknown => parseCsvText(text, { source: 'a.csv' });

      // Assess
      expect(act).toThrow('a.csv:1: a row needs a label and at least one feature, found 1 column(s)');
    });
  });

  describe('channels on disk', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-csv-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a folder of part files in name order, gzip included, hidden files skipped', async () => {
      // Prepare
      const channel = join(dir, 'train');
      await mkdir(channel);
      await writeFile(join(channel, 'part-0002.csv.gz'), gzipSync('0,3,3\n'));
      await writeFile(join(channel, 'part-0001'), '1,1,1\n0,2,2\n');
      await writeFile(join(channel, '.hidden'), 'not,csv\n');

      // Act
      const data = await readChannel([channel]);

      // Assess
      expect(data.nRows).toBe(3);
      expect(Array.from(data.labels)).toEqual([1, 0, 0]);
      expect(Array.from(data.features)).toEqual([1, 1, 2, 2, 3, 3]);
      expect(data.files).toEqual([join(channel, 'part-0001'), join(channel, 'part-0002.csv.gz')]);
    });

    it('names the part file and its own line numbers when a later file is bad', async () => {
      // Prepare
      await writeFile(join(dir, 'a.csv'), '1,1\n0,2\n');
      await writeFile(join(dir, 'b.csv'), '1,1\n1,x\n');

      // Act
      const act = readChannel([join(dir, 'a.csv'), join(dir, 'b.csv')]);

      // Assess
      await expect(act).rejects.toThrow(`${join(dir, 'b.csv')}:2: column 2 is not a number: "x"`);
    });

    it('reads values split across stream chunks exactly when the file is large', async () => {
      // Prepare: ~3 MB so lines straddle the 1 MiB read chunks
      const rows = 60_000;
      const lines: string[] = [];
      for (let i = 0; i < rows; i++) lines.push(`${i % 2},${(i * 0.001).toFixed(3)},${i},-${i}.5`);
      await writeFile(join(dir, 'big.csv'), `${lines.join('\n')}\n`);

      // Act
      const data = await readChannel([join(dir, 'big.csv')]);

      // Assess
      expect(data.nRows).toBe(rows);
      for (const i of [0, 17_476, 34_952, 59_999]) {
        expect(data.features[i * 3]).toBe(Math.fround(Number((i * 0.001).toFixed(3))));
        expect(data.features[i * 3 + 1]).toBe(i);
        expect(data.features[i * 3 + 2]).toBe(Math.fround(-(i + 0.5)));
      }
    });

    it('fails with EmptyChannelError when the folder holds no rows', async () => {
      // Prepare
      await writeFile(join(dir, 'empty.csv'), '\n');

      // Act
      const act = readChannel([dir]);

      // Assess
      await expect(act).rejects.toThrow(EmptyChannelError);
    });

    it('fails with EmptyChannelError when the path does not exist', async () => {
      // Prepare
      const missing = join(dir, 'nope');

      // Act
      const act = readChannel([missing]);

      // Assess
      await expect(act).rejects.toThrow(`Channel path ${missing} does not exist`);
    });
  });
});

describe('readChannel', () => {
  describe('a Parquet channel as the feature query writes it', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-channel-'));
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: join(dir, 'spill') });
      // Two files, read in name order; an integer label, a double, a BIGINT with a NULL, a DECIMAL.
      for (const [name, from] of [['part-00000.parquet', 0], ['part-00001.parquet', 3]] as const) {
        await db.connection.run(
          `COPY (SELECT CAST(i % 2 AS INTEGER) AS label, 0.1 + i AS x, CASE WHEN i = 1 THEN NULL ELSE CAST(i AS BIGINT) END AS n, CAST(i AS DECIMAL(9,2)) / 3 AS d FROM range(${from}, ${from + 3}) t(i)) TO '${join(dir, name)}' (FORMAT parquet, COMPRESSION snappy)`,
        );
      }
      db.close();
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads the label first, NULL as NaN and every value rounded through a double to float32 when given the folder', async () => {
      // Act
      const data = await readChannel([dir]);

      // Assess
      expect(data.nRows).toBe(6);
      expect(data.nCols).toBe(3);
      expect([...data.labels]).toEqual([0, 1, 0, 1, 0, 1]);
      expect(data.features[0]).toBe(Math.fround(0.1));
      expect(Number.isNaN(data.features[1 * 3 + 1])).toBe(true);
      expect(data.features[5 * 3 + 1]).toBe(5);
      expect(data.files.map((f) => f.slice(dir.length + 1))).toEqual(['part-00000.parquet', 'part-00001.parquet']);
    });

    it('backs the arrays by SharedArrayBuffer when asked to share them', async () => {
      // Act
      const data = await readChannel([dir], { shared: true });

      // Assess
      expect(data.features.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(data.labels.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect([...data.labels]).toEqual([0, 1, 0, 1, 0, 1]);
    });

    it('reads Parquet when readChannel is given the folder', async () => {
      // Act
      const data = await readChannel([dir]);

      // Assess
      expect(data.nRows).toBe(6);
    });

    it('names the columns, label first, when the files are Parquet', async () => {
      // Act
      const data = await readChannel([dir]);

      // Assess
      expect(data.columns).toEqual(['label', 'x', 'n', 'd']);
    });

    it('reads each channel as readChannel does when readChannels reads two at once', async () => {
      // Prepare
      const first = join(dir, 'part-00000.parquet');
      const second = join(dir, 'part-00001.parquet');
      const alone = [await readChannel([first], { shared: true }), await readChannel([second], { shared: true })];

      // Act
      const together = await readChannels([[first], [second]], { shared: true });

      // Assess
      expect(together.map((d) => ({ ...d, features: [...d.features], labels: [...d.labels] }))).toEqual(
        alone.map((d) => ({ ...d, features: [...d.features], labels: [...d.labels] })),
      );
      expect(together.map((d) => d.features.buffer)).toEqual([expect.any(SharedArrayBuffer), expect.any(SharedArrayBuffer)]);
    });

    it('names the channel whose path is missing when readChannels is given one', async () => {
      // Prepare
      const missing = join(dir, 'no-such-folder');

      // Act
      const act = readChannels([[dir], [missing]]);

      // Assess
      await expect(act).rejects.toThrow(`Channel path ${missing} does not exist`);
    });

    it("reports the first channel's problem, not the one found first, when readChannels reads two bad channels at once", async () => {
      // Prepare: the first channel's problem shows only at its last row (read late), the second's at once (no rows).
      const late = join(dir, 'bad', 'label-missing-last.parquet');
      const empty = join(dir, 'bad', 'empty.parquet');
      await mkdir(join(dir, 'bad'), { recursive: true });
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: join(dir, 'spill') });
      await db.connection.run(
        `COPY (SELECT CASE WHEN i = 49999 THEN NULL ELSE CAST(i % 2 AS INTEGER) END AS label, CAST(i AS DOUBLE) AS x FROM range(0, 50000) t(i)) TO '${late}' (FORMAT parquet)`,
      );
      await db.connection.run(`COPY (SELECT 1 AS label, 2.0 AS x WHERE false) TO '${empty}' (FORMAT parquet)`);
      db.close();

      // Act
      const lateFirst: unknown = await readChannels([[late], [empty]]).catch((error: unknown) => error);
      const emptyFirst: unknown = await readChannels([[empty], [late]]).catch((error: unknown) => error);

      // Assess
      expect(lateFirst).toBeInstanceOf(CsvFormatError);
      expect((lateFirst as Error).message).toContain('row 50000: the label (column 1) is missing');
      expect(emptyFirst).toBeInstanceOf(EmptyChannelError);
    });
  });
});
