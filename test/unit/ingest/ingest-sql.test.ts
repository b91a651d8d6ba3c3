import { contractRules } from '../../../core/ingest/contract-rules.js';
import { classifySql, curatedColumnRanges, curatedCopySql, quarantineCopySql, readerSql } from '../../../core/ingest/ingest-sql.js';
import type { IngestSqlInput } from '../../../core/ingest/ingest-sql.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

describe('ingest SQL', () => {
  const spec = specFrom(SMALL_SPEC_YAML);
  const input: IngestSqlInput = {
    spec,
    rules: contractRules(spec.contract.columns),
    header: ['id', 'status', 'amount', 'code', 'extra'],
    inputPath: "/tmp/in/o'rders.csv",
    stagingDir: '/tmp/stage',
    sourceHash: 'abc123',
    ingestDate: '2026-11-21',
  };

  describe('CSV reader', () => {
    it('declares each header column with its contract type, an allowed list as an ENUM, integers and unknown ones as text when built', () => {
      // Act
      const sql = readerSql(input);

      // Assess
      expect(sql).toContain(`read_csv('/tmp/in/o''rders.csv'`);
      expect(sql).toContain(`columns = {'id__raw': 'VARCHAR', 'status': 'sluice_allowed_status', 'amount': 'DOUBLE', 'code': 'VARCHAR', '_unknown_4': 'VARCHAR'}`);
      expect(sql).toContain(`WHEN regexp_full_match("id__raw", ' *[+-]?[0-9]+ *') THEN TRY_CAST("id__raw" AS BIGINT) END AS "id"`);
      expect(sql).toContain('store_rejects = true');
      expect(sql).toContain('auto_detect = false');
      expect(sql).toContain(`nullstr = ['']`);
    });
  });

  describe('classification', () => {
    it('reads the file once into a table of typed rows, their broken rules, and a record and messages for bad rows only', () => {
      // Act
      const sql = classifySql(input);

      // Assess
      expect(sql.startsWith('CREATE TEMP TABLE sluice_classified AS SELECT "id", "status", "amount", "code", CAST(NULL AS VARCHAR) AS "note", "_violations"')).toBe(true);
      expect(sql).toContain(`CASE WHEN "_violations" IS NOT NULL THEN CAST(to_json({'id': "id__raw", 'status': "status"`);
      expect(sql.match(/read_csv\(/g)).toHaveLength(1);
      expect(sql).not.toContain('_unknown_4" ,');
    });
  });

  describe('curated copy', () => {
    it('writes the good rows partitioned by ingest date and the spec columns with deterministic file names', () => {
      // Act
      const sql = curatedCopySql(input);

      // Assess
      expect(sql).toContain(`FROM sluice_classified WHERE "_violations" IS NULL`);
      expect(sql).toContain(`PARTITION_BY ("ingest_date", "status")`);
      expect(sql).toContain(`FILENAME_PATTERN 'part-abc123-{i}'`);
      expect(sql).toContain(`CAST('2026-11-21' AS VARCHAR) AS "ingest_date"`);
      expect(sql.startsWith('COPY (SELECT "id", "status", "amount", "code", "note", ')).toBe(true);
      expect(sql).not.toContain('read_csv');
      expect(sql).toContain('RETURN_STATS true');
    });
  });

  describe('statistics the curated copy returns', () => {
    it('gives each numeric column its range over every file, leaving out text, empty columns and NaN when read', () => {
      // Prepare: two files' rows as DuckDB returns them (column names quoted, every value as text)
      const stat = (entries: Record<string, string>) => Object.entries(entries).map(([key, value]) => ({ key, value }));
      const rows = [
        {
          filename: 'a.parquet',
          column_statistics: [
            { key: '"amount"', value: stat({ min: '1.5', max: '10.0', null_count: '0', has_nan: 'false' }) },
            { key: '"id"', value: stat({ min: '3', max: '9', null_count: '0' }) },
            { key: '"code"', value: stat({ min: 'ABC', max: 'XYZ', null_count: '0' }) },
            { key: '"we""ird"', value: stat({ min: '-2', max: '2', null_count: '0' }) },
            { key: '"note"', value: stat({ null_count: '4' }) },
          ],
        },
        {
          filename: 'b.parquet',
          column_statistics: [
            { key: '"amount"', value: stat({ min: '0.25', max: '4.0', null_count: '1', has_nan: 'false' }) },
            { key: '"id"', value: stat({ min: '1', max: '5', null_count: '0' }) },
            { key: '"ratio"', value: stat({ min: '0.0', max: '1.0', null_count: '0', has_nan: 'true' }) },
          ],
        },
      ];

      // Act
      const ranges = curatedColumnRanges(rows);

      // Assess
      expect(Object.fromEntries(ranges)).toEqual({ amount: { min: 0.25, max: 10 }, id: { min: 1, max: 9 }, 'we"ird': { min: -2, max: 2 } });
    });
  });

  describe('JSON Lines reader', () => {
    it('casts each value from text so a wrong type becomes a rule violation', () => {
      // Prepare
      const jsonSpec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: jsonl'));

      // Act
      const sql = readerSql({ ...input, spec: jsonSpec, header: ['id', 'status'] });

      // Assess
      const raw = `json_extract_string(CASE WHEN "__record_ok" THEN "__line" END, '/id')`;
      expect(sql).toContain(`WHEN regexp_full_match(${raw}, ' *[+-]?[0-9]+ *') THEN TRY_CAST(${raw} AS BIGINT) END AS "id"`);
      expect(sql).toContain(`${raw} AS "id__raw"`);
    });

    it('reads the file line by line so a malformed line is a row, not a failed read', () => {
      // Prepare
      const jsonSpec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: jsonl'));

      // Act
      const sql = readerSql({ ...input, spec: jsonSpec, header: ['id', 'status'] });

      // Assess
      expect(sql).not.toContain('read_json_objects');
      expect(sql).toContain(`read_csv('/tmp/in/o''rders.csv', header = false, auto_detect = false, hive_partitioning = false, columns = {'line': 'VARCHAR'}`);
      expect(sql).toContain(`CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE FALSE END AS "__record_ok"`);
    });

    it('looks a key up by JSON pointer when the spec maps a column to a key that looks like a path', () => {
      // Prepare
      const jsonSpec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: jsonl'));

      // Act
      const sql = readerSql({ ...input, spec: jsonSpec, header: ['id'], sourceNames: new Map([['id', '$id/~x']]) });

      // Assess
      expect(sql).toContain(`'/$id~1~0x'`);
    });
  });

  describe('quarantine copy', () => {
    it('unions reader rejects and rule violations when both exist', () => {
      // Act
      const sql = quarantineCopySql(input, { hasRejects: true, hasRuleViolations: true, outputPath: '/tmp/q.parquet' });

      // Assess
      expect(sql).toContain('FROM sluice_rejects QUALIFY');
      expect(sql).toContain(') GROUP BY line');
      expect(sql).toContain('UNION ALL');
      expect(sql).toContain(`"_record" AS record, "_errors" AS errors FROM sluice_classified WHERE "_violations" IS NOT NULL`);
      expect(sql).not.toContain('read_csv');
      expect(sql).toContain(`TO '/tmp/q.parquet' (FORMAT parquet)`);
    });
  });
});
