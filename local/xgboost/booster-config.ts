/**
 * What a booster's JSON configuration (`XGBoosterSaveJsonConfig`) says about its model: objective and class count.
 * Apart from model.ts (which loads tar, to read archives) so that the training worker reads the objective of the
 * model it saved without loading tar.
 */
import type { BoosterHandle, XgboostNative } from './native.js';

/** The objective and class count of a booster's configuration. */
export interface LearnerDescription {
  /** XGBoost's name of the objective, e.g. `binary:logistic`; `unknown` when the configuration names none. */
  readonly objective: string;
  /** `num_class` for `multi:*` models, else 0. */
  readonly numClass: number;
}

interface LearnerConfig {
  learner?: {
    objective?: { name?: string };
    learner_model_param?: { num_class?: string };
  };
}

/** The objective and class count of a booster, from its JSON configuration. */
export function describeLearner(native: XgboostNative, booster: BoosterHandle): LearnerDescription {
  const config = native.boosterJsonConfig(booster) as LearnerConfig;
  return { objective: config.learner?.objective?.name ?? 'unknown', numClass: Number(config.learner?.learner_model_param?.num_class ?? 0) };
}

/** A booster's objective as XGBoost names it (`learner.objective.name` of its configuration), e.g. `binary:logistic`. */
export function boosterObjective(native: XgboostNative, booster: BoosterHandle): string {
  return describeLearner(native, booster).objective;
}
