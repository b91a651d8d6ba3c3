import type { z } from 'zod';
import {
  BLAZINGTEXT_OBJECTIVE,
  BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS,
  blazingTextInstanceProblem,
  checkBlazingTextHyperparameters,
} from '../training/blazingtext-hyperparameters.js';
import { isTextGateMetric } from '../text/classification-metrics.js';
import { tuningProblems } from '../training/tuning-ranges.js';
import type { TuningRange } from '../training/tuning-ranges.js';
import {
  checkXgboostHyperparameters,
  XGBOOST_HYPERPARAMETER_NAMES,
  xgboostRangeProblems,
} from '../training/xgboost-hyperparameters.js';
import type { RawHyperparameters } from '../training/xgboost-hyperparameters.js';
import type { pipelineSpecSchema } from './schema.js';

/** A problem of the spec: the path inside it (`training.hyperparameters.num_round`) and what is wrong there. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * The training and tuning sections against the rules SageMaker applies when the run gets there (XGBoost's
 * hyperparameters in `core/training/xgboost-hyperparameters.ts`, the tuning rules in `core/training/tuning-ranges.ts`),
 * so that a spec that would fail at training fails when it is loaded, in both runtimes, before any ingest.
 *
 * 1. Every XGBoost hyperparameter of `training.hyperparameters`: a known name, a value of its type and range.
 * 2. The tuning job: ranges, scaling types, the strategy's constraints; each range fits the hyperparameter it tunes.
 * 3. The rules over a whole set (num_round required, num_class with a multi-class objective, ...) on what a training
 *    job will get: `training.hyperparameters` when the run trains once; with tuning on, those plus each tuned value at
 *    both ends of its range and the tuning objective metric (which SageMaker adds to every training job).
 *
 * Only for `algorithm: xgboost`; the tuning rules that hold for any algorithm apply to any. `algorithm: blazingtext`
 * has its own rules ({@link blazingTextSectionProblems}).
 */
export function trainingSectionProblems(spec: z.output<typeof pipelineSpecSchema>): SpecProblem[] {
  if (spec.training?.algorithm === 'blazingtext') return blazingTextSectionProblems(spec);
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string): void => {
    if (!problems.some((problem) => problem.path === path && problem.message === message)) problems.push({ path, message });
  };
  const { training, tuning } = spec;
  const xgboost = training?.algorithm === 'xgboost';
  const hyperparameters: RawHyperparameters = training?.hyperparameters ?? {};
  const tunes = tuning?.enabled === true;

  if (xgboost) {
    const check = checkXgboostHyperparameters(hyperparameters);
    for (const key of check.unknown) {
      add(`training.hyperparameters.${key}`, `not a SageMaker XGBoost 1.7-1 hyperparameter; supported: ${XGBOOST_HYPERPARAMETER_NAMES.join(', ')}`);
    }
    for (const problem of check.problems) {
      if (problem.key !== undefined) add(`training.hyperparameters.${problem.key}`, problem.detail);
      // With tuning on, the set a training job gets includes the tuned values: judged below.
      else if (!tunes) add('training.hyperparameters', problem.detail);
    }
  }

  if (tuning === undefined) return problems;
  for (const problem of tuningProblems({ ...tuning, staticHyperparameters: xgboost ? hyperparameters : undefined })) {
    add(`tuning.${problem.field}`, problem.message);
  }
  if (!xgboost) return problems;
  for (const [name, range] of Object.entries(tuning.ranges)) {
    for (const problem of xgboostRangeProblems(name, range)) {
      add(`tuning.ranges.${name}${problem.at === undefined ? '' : `.${problem.at}`}`, problem.detail);
    }
  }
  if (!tunes) return problems;
  const metricAlreadyWrong = problems.some((problem) => problem.path === 'tuning.objective.metric');
  for (const end of ['low', 'high'] as const) {
    const trainingJob = { ...hyperparameters, ...rangeEnds(tuning.ranges, end), _tuning_objective_metric: tuning.objective.metric };
    for (const problem of checkXgboostHyperparameters(trainingJob).problems) {
      if (problem.key === undefined) add('training.hyperparameters', problem.detail);
      else if (problem.key === '_tuning_objective_metric' && !metricAlreadyWrong) add('tuning.objective.metric', problem.detail);
      // Any other key's problem is reported above, at the static value or at the range.
    }
  }
  return problems;
}

/** Each tuned hyperparameter at one end of its range (the first or last categorical value). */
function rangeEnds(ranges: Readonly<Record<string, TuningRange>>, end: 'low' | 'high'): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [name, range] of Object.entries(ranges)) {
    const value = range.type === 'categorical' ? (end === 'low' ? range.values[0] : range.values.at(-1)) : end === 'low' ? range.min : range.max;
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/**
 * The training, tuning and gate sections of a BlazingText (text classification) pipeline, against the rules of
 * `core/training/blazingtext-hyperparameters.ts` (SageMaker developer guide, "BlazingText Hyperparameters", "Tune a
 * BlazingText Model", "BlazingText algorithm"):
 *
 * 1. `training.hyperparameters`: supervised-mode names and values, `mode: supervised` required.
 * 2. `training.instanceType` / `instanceCount`: C5 or a single-GPU P2, P3, G4dn, G5; one instance. Refused here so a
 *    spec fails at load, not twenty minutes into a cloud run (the local trainer ignores the instance).
 * 3. Tuning: the objective is `validation:accuracy`, Maximize (the one metric supervised mode reports); every range
 *    tunes a supervised-mode hyperparameter and both its ends are valid values of it; the generic tuning rules.
 * 4. The gate metric is `validation:accuracy` or one of Sluice's text evaluation metrics (`evaluation:accuracy`,
 *    `evaluation:macro_f1`, `evaluation:precision@<label>`, `evaluation:recall@<label>`, `evaluation:f1@<label>`).
 */
export function blazingTextSectionProblems(spec: z.output<typeof pipelineSpecSchema>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string): void => {
    if (!problems.some((problem) => problem.path === path && problem.message === message)) problems.push({ path, message });
  };
  const { training, tuning, gate } = spec;
  if (training === undefined) return problems;
  const hyperparameters = training.hyperparameters;
  const tunes = tuning?.enabled === true;
  // `mode` may come from a (one-value) categorical range instead of the static set.
  const tunedMode = tunes && tuning.ranges['mode'] !== undefined;
  const check = checkBlazingTextHyperparameters(tunedMode ? { mode: 'supervised', ...hyperparameters } : hyperparameters);
  for (const problem of check.problems) add('training.hyperparameters', problem);
  const instance = blazingTextInstanceProblem(training.instanceType, training.instanceCount);
  if (instance !== undefined) add(training.instanceCount !== 1 && instance.includes('one instance') ? 'training.instanceCount' : 'training.instanceType', instance);

  if (tuning !== undefined) {
    for (const problem of tuningProblems({ ...tuning, staticHyperparameters: undefined })) add(`tuning.${problem.field}`, problem.message);
    if (tuning.objective.metric !== BLAZINGTEXT_OBJECTIVE.metric || tuning.objective.direction !== BLAZINGTEXT_OBJECTIVE.direction) {
      add('tuning.objective', `BlazingText supervised mode reports one metric: use { metric: ${BLAZINGTEXT_OBJECTIVE.metric}, direction: ${BLAZINGTEXT_OBJECTIVE.direction} }`);
    }
    for (const [name, range] of Object.entries(tuning.ranges)) {
      if (!Object.hasOwn(BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS, name)) {
        add(`tuning.ranges.${name}`, `not a BlazingText supervised-mode hyperparameter (known: ${Object.keys(BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS).join(', ')})`);
        continue;
      }
      for (const end of ['low', 'high'] as const) {
        const value = rangeEnds({ [name]: range }, end)[name];
        if (value === undefined) continue;
        for (const problem of checkBlazingTextHyperparameters({ mode: 'supervised', [name]: value }).problems) add(`tuning.ranges.${name}`, problem);
      }
    }
  }
  if (gate !== undefined && !isTextGateMetric(gate.metric)) {
    add(
      'gate.metric',
      `"${gate.metric}" is not a text model's metric: use validation:accuracy, evaluation:accuracy, evaluation:macro_f1, or evaluation:precision@<label>, evaluation:recall@<label>, evaluation:f1@<label>`,
    );
  }
  if (gate !== undefined && isTextGateMetric(gate.metric) && gate.direction !== 'Maximize') {
    add('gate.direction', `${gate.metric} is better when higher: use Maximize`);
  }
  return problems;
}
