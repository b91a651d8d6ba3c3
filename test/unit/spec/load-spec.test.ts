import path from 'node:path';
import { PipelineSpecError } from '../../../core/errors.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { REPO_ROOT, SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

describe('loadPipelineSpec', () => {
  describe('a valid spec', () => {
    it('applies defaults and derives the drop prefix when the spec omits them', () => {
      // Prepare / Act
      const spec = specFrom(SMALL_SPEC_YAML);

      // Assess
      expect(spec.source.prefix).toBe('incoming/orders/');
      expect(spec.source.suffixes).toContain('.csv');
      expect(spec.source.csv).toEqual({ delimiter: ',', quote: '"', escape: '"', nullValues: [''], header: true });
      expect(spec.source.matchNames).toBe('exact');
      expect(spec.contract.unknownColumns).toBe('reject');
      expect(spec.contract.columns[0]).toMatchObject({ name: 'id', required: true, nullable: false });
      expect(spec.dir).toBe('/tmp/pipelines/orders');
    });

    it('returns a deeply frozen object when loaded', () => {
      // Prepare
      const spec = specFrom(SMALL_SPEC_YAML);

      // Act / Assess
      expect(Object.isFrozen(spec)).toBe(true);
      expect(Object.isFrozen(spec.contract.columns[0])).toBe(true);
      expect(() => {
        (spec.contract.columns as unknown as unknown[]).push({});
      }).toThrow(TypeError);
    });

    it('keeps the bias facets when their column and grouping column are contract columns', () => {
      // Prepare
      const yaml = `${SMALL_SPEC_YAML}quality:\n  label: { column: status, positive: [closed] }\n  facets:\n    - { column: amount, min: 10, group: code }\n`;

      // Act
      const spec = specFrom(yaml);

      // Assess
      expect(spec.quality.facets).toEqual([expect.objectContaining({ column: 'amount', min: 10, group: 'code' })]);
    });

    it('loads the shipped churn pipeline by name', () => {
      // Act
      const spec = loadPipelineSpec('churn', path.join(REPO_ROOT, 'pipelines'));

      // Assess
      expect(spec.name).toBe('churn');
      expect(spec.contract.columns).toHaveLength(20);
      expect(spec.partitioning.columns).toEqual(['contract']);
    });
  });

  describe('an invalid spec', () => {
    const cases: [string, string, RegExp][] = [
      ['a bad column type', SMALL_SPEC_YAML.replace('type: integer', 'type: int'), /contract\.columns\.0\.type: .*/],
      ['an upper-case column name', SMALL_SPEC_YAML.replace('name: id', 'name: Id'), /contract\.columns\.0\.name: must be lowercase/],
      ['a SQL-looking column name', SMALL_SPEC_YAML.replace('name: id', 'name: "id; DROP TABLE x"'), /contract\.columns\.0\.name/],
      ['a pattern on a number', SMALL_SPEC_YAML.replace('min: 1 }', 'pattern: "x" }'), /contract\.columns\.0\.pattern: pattern applies to string columns/],
      ['an unknown key', SMALL_SPEC_YAML.replace('source:', 'sauce: 1\nsource:'), /\(top level\): Unrecognized key: "sauce"/],
      ['a partition on an unknown column', SMALL_SPEC_YAML.replace('columns: [status]', 'columns: [nope]'), /partitioning\.columns\.0: "nope" is not a contract column/],
      ['a partition on a double', SMALL_SPEC_YAML.replace('columns: [status]', 'columns: [amount]'), /partitioning\.columns\.0: "amount" is a double column/],
      ['a prefix outside the drop zone', SMALL_SPEC_YAML.replace('format: csv', 'format: csv\n  prefix: curated/orders/'), /source\.prefix: "curated\/orders\/" must start with "incoming\/"/],
      ['a prefix overlapping every output', SMALL_SPEC_YAML.replace('format: csv', 'format: csv\n  prefix: ""'), /overlaps the output prefix "raw\/"/],
      ['a duplicated column', SMALL_SPEC_YAML.replace('name: note', 'name: amount'), /contract\.columns\.4\.name: "amount" is declared twice/],
      ['min above max', SMALL_SPEC_YAML.replace('min: 0 }', 'min: 5, max: 1 }'), /contract\.columns\.2: min is greater than max/],
      ['a broken regular expression', SMALL_SPEC_YAML.replace('"[A-Z]{3}"', '"[A-Z"'), /contract\.columns\.3\.pattern: must be a valid regular expression/],
      [
        'a bias facet on an unknown column',
        `${SMALL_SPEC_YAML}quality:\n  label: { column: status, positive: [closed] }\n  facets:\n    - { column: region, values: [north] }\n`,
        /quality\.facets\.0\.column: the facet's column "region" is not a contract column/,
      ],
      [
        'a bias facet grouped by an unknown column',
        `${SMALL_SPEC_YAML}quality:\n  label: { column: status, positive: [closed] }\n  facets:\n    - { column: code, values: [ABC] }\n    - { column: amount, min: 10, group: region }\n`,
        /quality\.facets\.1\.group: grouping column "region" of the facet on "amount" is not a contract column/,
      ],
      [
        'a quality label that is not a contract column',
        `${SMALL_SPEC_YAML}quality:\n  label: { column: outcome, positive: [yes] }\n`,
        /quality\.label\.column: "outcome" is not a contract column/,
      ],
    ];
    it.each(cases)('names the file and the path when the spec has %s', (_label, yaml, expected) => {
      // Act
      const load = () => specFrom(yaml);

      // Assess
      expect(load).toThrow(PipelineSpecError);
      expect(load).toThrow(/\/tmp\/pipelines\/orders\/pipeline\.yml: invalid pipeline spec/);
      expect(load).toThrow(expected);
    });

    it('reports YAML syntax errors with the file name when the YAML does not parse', () => {
      // Act
      const load = () => specFrom('name: [unclosed');

      // Assess
      expect(load).toThrow(/pipeline\.yml: not valid YAML/);
    });

    it('lists where it looked when the pipeline does not exist', () => {
      // Act
      const load = () => loadPipelineSpec('nope', path.join(REPO_ROOT, 'pipelines'));

      // Assess
      expect(load).toThrow(/No pipeline "nope": looked for .*pipelines\/nope\/pipeline\.yml/);
    });
  });
});
