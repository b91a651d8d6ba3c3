import { PipelineSpecError } from '../../../core/errors.js';
import { MAX_SPEC_ALIAS_COUNT } from '../../../core/spec/load-spec.js';
import { ALIAS_BOMB_SPEC_YAML, SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';


describe('parsePipelineSpec YAML', () => {
  describe('aliases', () => {
    it('refuses the spec naming the file and the limit when aliases expand past the limit', () => {
      // Act
      const load = () => specFrom(ALIAS_BOMB_SPEC_YAML);

      // Assess
      expect(load).toThrow(PipelineSpecError);
      expect(load).toThrow(
        `/tmp/pipelines/orders/pipeline.yml: not valid YAML:\n  - Excessive alias count indicates a resource exhaustion attack (a spec may expand its aliases at most ${MAX_SPEC_ALIAS_COUNT} times)`,
      );
    });

    it('refuses the spec naming the file when an alias has no anchor', () => {
      // Act
      const load = () => specFrom(`${SMALL_SPEC_YAML}\nx-orphan: *nowhere\n`);

      // Assess
      expect(load).toThrow(PipelineSpecError);
      expect(load).toThrow(/^\/tmp\/pipelines\/orders\/pipeline\.yml: not valid YAML:/);
    });

    it('reads the spec when it reuses a value through an alias', () => {
      // Prepare
      const yaml = SMALL_SPEC_YAML.replace('allowed: [open, closed]', 'allowed: &states [open, closed]').replace(
        '{ name: note, type: string, required: false }',
        '{ name: note, type: string, required: false, allowed: *states }',
      );

      // Act
      const spec = specFrom(yaml);

      // Assess
      expect(spec.contract.columns.find((c) => c.name === 'note')?.allowed).toEqual(['open', 'closed']);
    });
  });
});
