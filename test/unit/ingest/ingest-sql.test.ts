import { contractRules } from '../../../core/ingest/contract-rules.js';
import { quarantineCopySql, readerSql, stagingCopySql } from '../../../core/ingest/ingest-sql.js';
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
    it('declares each header column with its contract type, an allowed list as an ENUM, and unknown ones as text when built', () => {
      // Act
      const sql = readerSql(input);

      // Assess
      expect(sql).toContain(`read_csv('/tmp/in/o''rders.csv'`);
      expect(sql).toContain(`columns = {'id': 'BIGINT', 'status': 'sluice_allowed_status', 'amount': 'DOUBLE', 'code': 'VARCHAR', '_unknown_4': 'VARCHAR'}`);
      expect(sql).toContain('store_rejects = true');
      expect(sql).toContain('auto_detect = false');
      expect(sql).toContain(`nullstr = ['']`);
    });
  });

  describe('staging copy', () => {
    it('partitions by violations, ingest date and the spec columns with deterministic file names', () => {
      // Act
      const sql = stagingCopySql(input);

      // Assess
      expect(sql).toContain(`PARTITION_BY ("_violations", "ingest_date", "status")`);
      expect(sql).toContain(`FILENAME_PATTERN 'part-abc123-{i}'`);
      expect(sql).toContain(`CAST(NULL AS VARCHAR) AS "note"`);
      expect(sql).not.toContain('_unknown_4" ,');
      expect(sql.startsWith('COPY (SELECT "id", "status", "amount", "code", CAST(NULL AS VARCHAR) AS "note"')).toBe(true);
    });
  });

  describe('JSON Lines reader', () => {
    it('casts each value from text so a wrong type becomes a rule violation', () => {
      // Prepare
      const jsonSpec = specFrom(SMALL_SPEC_YAML.replace('format: csv', 'format: jsonl'));

      // Act
      const sql = readerSql({ ...input, spec: jsonSpec, header: ['id', 'status'] });

      // Assess
      expect(sql).toContain(`TRY_CAST(json ->> 'id' AS BIGINT) AS "id"`);
      expect(sql).toContain(`json ->> 'id' AS "id__raw"`);
      expect(sql).toContain(`read_json_objects('/tmp/in/o''rders.csv', format = 'newline_delimited', hive_partitioning = false)`);
    });
  });

  describe('quarantine copy', () => {
    it('unions reader rejects and rule violations when both exist', () => {
      // Act
      const sql = quarantineCopySql(input, { hasRejects: true, hasRuleViolations: true, outputPath: '/tmp/q.parquet' });

      // Assess
      expect(sql).toContain('FROM sluice_rejects GROUP BY line');
      expect(sql).toContain('UNION ALL');
      expect(sql).toContain(`TO '/tmp/q.parquet' (FORMAT parquet)`);
    });
  });
});
