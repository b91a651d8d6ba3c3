import { DuckDBInstance } from '@duckdb/node-api';
import { filterFields, filterObject, UnsupportedFilterError } from '../../../core/scoring/data-processing.js';
import { predictionColumns, readPredictionLine } from '../../../core/scoring/prediction-rows.js';
import type { PredictionShape } from '../../../core/scoring/prediction-rows.js';
import { jsonStringBodySql, transformInputSql } from '../../../core/scoring/scoring-format.js';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { containerCsvFeature, TransformInputError } from '../../../local/scoring/xgboost-batch.js';

describe('scoring formats', () => {
  describe('the BlazingText transform input', () => {
    it('writes one JSON line per row that parses back to source_row and the text when the text holds quotes, backslashes and control characters', async () => {
      // Prepare
      const text = `she said "great" \\ ok${String.fromCharCode(1)}${String.fromCharCode(31)} é`;
      const sql = transformInputSql('blazingtext', `SELECT 7 AS source_row, 'x' AS label, '${text.replaceAll("'", "''")}' AS text`, 3);
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();

      // Act
      let line: unknown;
      try {
        await installTrinoCompat(connection);
        line = (await connection.runAndReadAll(translateTrinoSql(sql))).getRowsJS()[0]?.[0];
      } finally {
        connection.closeSync();
        instance.closeSync();
      }

      // Assess
      expect(JSON.parse(String(line))).toEqual({ source_row: 7, features: { source: text } });
    });

    it('escapes with literal replace() calls only, which Athena evaluates as DuckDB does', () => {
      // Act
      const sql = jsonStringBodySql('t');

      // Assess
      expect(sql).not.toMatch(/regexp|json_/);
    });
  });

  describe('the XGBoost transform input', () => {
    it('writes one CSV line per row with a NULL label and feature as empty fields when features are missing', async () => {
      // Prepare
      const query = 'SELECT 7 AS source_row, CAST(NULL AS INTEGER) AS label, 1.5 AS tenure, CAST(NULL AS DOUBLE) AS total_charges, 2 * 3';
      const sql = transformInputSql('xgboost', query, 5);
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();

      // Act
      let rows: unknown[][];
      try {
        await installTrinoCompat(connection);
        rows = (await connection.runAndReadAll(translateTrinoSql(sql))).getRowsJS();
      } finally {
        connection.closeSync();
        instance.closeSync();
      }

      // Assess
      expect(rows).toEqual([['7,,1.5,,6']]);
    });

    it('reads an empty field as missing and a number as itself when the local scorer parses a line', () => {
      // Act
      const values = ['', '1.5', '-2e3', 'NaN', '-inf'].map((field) => containerCsvFeature(field, 'a line'));

      // Assess
      expect(values).toEqual([Number.NaN, 1.5, -2000, Number.NaN, Number.NEGATIVE_INFINITY]);
    });

    it("refuses Hive's \\N NULL and other text, naming the field and its line, when a field is not a number", () => {
      // Act
      const act = () => containerCsvFeature('\\N', '7,,\\N,2');

      // Assess
      expect(act).toThrow(TransformInputError);
      expect(act).toThrow("the field '\\N' of the input line '7,,\\N,2' is not a number");
    });
  });

  describe('DataProcessing filters (local batch transform)', () => {
    it('selects CSV fields by slice and index, negative indices from the end', () => {
      // Prepare
      const fields = ['7', '0', 'a', '0.9'];

      // Act
      const [features, joined, all] = [filterFields(fields, '$[2:]'), filterFields(fields, '$[0,-1]'), filterFields(fields, '$')];

      // Assess
      expect(features).toEqual(['a', '0.9']);
      expect(joined).toEqual(['7', '0.9']);
      expect(all).toEqual(fields);
    });

    it('selects JSON members by name and by list', () => {
      // Prepare
      const record = { source_row: 1, features: { source: 'x' }, SageMakerOutput: { label: ['__label__a'] } };

      // Act
      const [input, output] = [filterObject(record, '$.features'), filterObject(record, "$['source_row','SageMakerOutput']")];

      // Assess
      expect(input).toEqual({ source: 'x' });
      expect(output).toEqual({ source_row: 1, SageMakerOutput: { label: ['__label__a'] } });
    });

    it('refuses a filter the local scorer does not implement', () => {
      // Act
      const act = () => filterFields(['1'], '$[?(@ > 1)]');

      // Assess
      expect(act).toThrow(UnsupportedFilterError);
    });
  });

  describe('prediction rows', () => {
    const binary: PredictionShape = { algorithm: 'xgboost', objective: 'binary:logistic', valuesPerRow: 1, features: 26, labelNames: new Map([[0, 'No'], [1, 'Yes']]) };

    it('names a binary classifier class with the user label and keeps its probability when the output is source_row and a value', () => {
      // Act
      const [yes, no] = [readPredictionLine('12,0.73', binary), readPredictionLine('13,0.2', binary)];

      // Assess
      expect(predictionColumns(binary).map((c) => c.name)).toEqual(['predicted_label', 'probability']);
      expect(yes).toEqual({ sourceRow: 12, values: ['Yes', 0.73] });
      expect(no).toEqual({ sourceRow: 13, values: ['No', 0.2] });
    });

    it('reads one probability per class at the end of the whole joined line when the model is multi:softprob', () => {
      // Prepare
      const shape: PredictionShape = { algorithm: 'xgboost', objective: 'multi:softprob', valuesPerRow: 3, features: 2, labelNames: undefined };

      // Act
      const row = readPredictionLine('5,0,1.5,2.5,0.1,0.7,0.2', shape);

      // Assess
      expect(predictionColumns(shape).map((c) => c.name)).toEqual(['predicted_label', 'probability_0', 'probability_1', 'probability_2']);
      expect(row).toEqual({ sourceRow: 5, values: ['1', 0.1, 0.7, 0.2] });
    });

    it('keeps the value of a regression', () => {
      // Prepare
      const shape: PredictionShape = { algorithm: 'xgboost', objective: 'reg:squarederror', valuesPerRow: 1, features: 3 };

      // Act
      const row = readPredictionLine('1,42.5', shape);

      // Assess
      expect(predictionColumns(shape)).toEqual([{ name: 'prediction', type: 'DOUBLE' }]);
      expect(row).toEqual({ sourceRow: 1, values: [42.5] });
    });

    it("turns BlazingText's label into the user's when the output is JSON", () => {
      // Prepare
      const shape: PredictionShape = { algorithm: 'blazingtext', objective: '', valuesPerRow: 1, features: 1 };

      // Act
      const row = readPredictionLine('{"source_row":3,"SageMakerOutput":{"label":["__label__Twitter%20for%20iPhone"],"prob":[0.8]}}', shape);

      // Assess
      expect(row).toEqual({ sourceRow: 3, values: ['Twitter for iPhone', 0.8] });
    });

    it('refuses an output line that is not source_row and the values asked for', () => {
      // Act
      const act = () => readPredictionLine('x,0.5', binary);

      // Assess
      expect(act).toThrow(/not source_row/);
    });
  });
});
