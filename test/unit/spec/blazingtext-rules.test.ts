import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PipelineSpecError } from '../../../core/errors.js';
import { loadPipelineSpec, parsePipelineSpec } from '../../../core/spec/load-spec.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const REVIEWS_FILE = path.join(REPO_ROOT, 'pipelines', 'reviews', 'pipeline.yml');
const REVIEWS_YAML = readFileSync(REVIEWS_FILE, 'utf8');

/** What parsing the reviews spec with `from` replaced by `to` throws (fails the test when it loads). */
function loadError(from: string | RegExp, to: string): string {
  const yaml = REVIEWS_YAML.replace(from, to);
  expect(yaml).not.toBe(REVIEWS_YAML);
  try {
    parsePipelineSpec(yaml, REVIEWS_FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineSpecError);
    return (error as Error).message;
  }
  throw new Error('the spec loaded');
}

describe('loadPipelineSpec', () => {
  describe('a BlazingText (text) pipeline', () => {
    it('loads pipelines/reviews when its training, tuning and gate sections are valid', () => {
      // Act
      const spec = loadPipelineSpec('reviews', path.join(REPO_ROOT, 'pipelines'));

      // Assess
      expect(spec.training?.algorithm).toBe('blazingtext');
      expect(spec.tuning?.objective).toEqual({ metric: 'validation:accuracy', direction: 'Maximize' });
    });

    it.each([
      ['evaluation:accuracy'],
      ['evaluation:macro_f1'],
      ['evaluation:f1@great'],
      ['evaluation:recall@other'],
      ['evaluation:precision@great'],
    ])('loads the spec when the gate metric is %s', (metric) => {
      // Act
      const spec = parsePipelineSpec(REVIEWS_YAML.replace('metric: validation:accuracy\n  direction', `metric: "${metric}"\n  direction`), REVIEWS_FILE);

      // Assess
      expect(spec.gate?.metric).toBe(metric);
    });

    it('refuses the spec, naming the documented instances, when the instance type is not one supervised mode trains on', () => {
      // Act / Assess
      expect(loadError('instanceType: ml.c5.xlarge', 'instanceType: ml.m5.xlarge')).toMatch(
        /training\.instanceType: BlazingText supervised mode does not train on ml\.m5\.xlarge: use a C5 instance/,
      );
    });

    it('refuses the spec when it trains on more than one instance', () => {
      // Act / Assess
      expect(loadError('instanceCount: 1 ', 'instanceCount: 2 ')).toMatch(/training\.instanceCount: .*trains on one instance, not 2/);
    });

    it('refuses the spec when a hyperparameter is not a supervised-mode one', () => {
      // Act / Assess
      expect(loadError('    mode: supervised\n', '    mode: supervised\n    num_round: 10\n')).toMatch(
        /training\.hyperparameters: "num_round" is not a BlazingText supervised-mode hyperparameter/,
      );
    });

    it('refuses the spec when mode is missing', () => {
      // Act / Assess
      expect(loadError('    mode: supervised\n', '')).toMatch(/"mode" is required/);
    });

    it('refuses the spec when the tuning objective is not validation:accuracy', () => {
      // Act / Assess
      expect(loadError('objective: { metric: validation:accuracy, direction: Maximize }', 'objective: { metric: "validation:auc", direction: Maximize }')).toMatch(
        /tuning\.objective: BlazingText supervised mode reports one metric/,
      );
    });

    it('refuses the spec when a range tunes a hyperparameter BlazingText does not have', () => {
      // Act / Assess
      expect(loadError('    word_ngrams: { type: integer, min: 1, max: 3 }', '    max_depth: { type: integer, min: 1, max: 3 }')).toMatch(
        /tuning\.ranges\.max_depth: not a BlazingText supervised-mode hyperparameter/,
      );
    });

    it('refuses the spec when an end of a range is not a valid value', () => {
      // Act / Assess
      expect(loadError('epochs: { type: integer, min: 5, max: 15 }', 'epochs: { type: integer, min: 0, max: 15 }')).toMatch(
        /tuning\.ranges\.epochs: "epochs" must be a positive integer, got "0"/,
      );
    });

    it('refuses the spec when the gate metric is not a text metric', () => {
      // Act / Assess
      expect(loadError('metric: validation:accuracy\n  direction', 'metric: "validation:auc"\n  direction')).toMatch(/gate\.metric: "validation:auc" is not a text model's metric/);
    });
  });
});
