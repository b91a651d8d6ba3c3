/**
 * The search space of a tuning job: how each hyperparameter range maps to values, as SageMaker defines its
 * scaling types (developer guide, "Define Hyperparameter Ranges" > "Hyperparameter Scaling", and the
 * `ContinuousParameterRange` / `IntegerParameterRange` API pages):
 *
 * - `Linear`: values spread uniformly between min and max.
 * - `Logarithmic`: uniform in log(value); only for ranges whose values are all > 0.
 * - `ReverseLogarithmic`: uniform in -log(1 - value), i.e. dense near 1; continuous ranges only, all values in
 *   [0, 1). (The transform is the one of Syne Tune, the AWS tuning library: `to_internal(v) = -log(1 - v)`.)
 * - `Auto`: "SageMaker hyperparameter tuning chooses the best scale". The best-practices page says how: it
 *   "initially assumes that hyperparameters are linear-scaled" and may later find they are log-scaled. The local
 *   tuner takes the first half of that: `Auto` is `Linear`, and stays so.
 *
 * Whether a range is valid at all (bounds, scaling types) is decided by `core/training/tuning-ranges.ts`, before a
 * tuning job starts; this module only maps valid ranges.
 *
 * Every numeric range is seen through a *unit coordinate* u in [0, 1] on its scaled axis: sampling draws u
 * uniformly, and the Bayesian strategy models the objective over u. Integer ranges widen the axis by half a step
 * on each side and round, so every integer of a linear range is equally likely.
 */
import type { HyperparameterRange } from '../../core/ports/trainer.js';
import type { RandomSource } from './random.js';

// Math functions bound once: under Jest's vm sandbox every global lookup goes through an interceptor and these
// loops ran ~25 times slower; plain Node is unaffected either way.
const { exp, expm1, log, log1p, max, min, round } = Math;

/** A numeric (continuous or integer) range. */
export type NumericRange = Extract<HyperparameterRange, { type: 'continuous' | 'integer' }>;

/** A scaling type, `Auto` resolved. */
export type EffectiveScaling = 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

/** The ranges of a tuning job, by hyperparameter name. */
export type SearchRanges = Readonly<Record<string, HyperparameterRange>>;

/** One point of the search space: numbers for numeric ranges, the chosen string for categorical ones. */
export type Configuration = Readonly<Record<string, number | string>>;

/** The scale the local tuner searches a range with: `Auto` is `Linear` (see the module comment). */
export function effectiveScaling(range: NumericRange): EffectiveScaling {
  return range.scaling === 'Auto' ? 'Linear' : range.scaling;
}

function forward(scaling: EffectiveScaling, value: number): number {
  switch (scaling) {
    case 'Linear':
      return value;
    case 'Logarithmic':
      return log(value);
    case 'ReverseLogarithmic':
      return -log1p(-value);
  }
}

function inverse(scaling: EffectiveScaling, value: number): number {
  switch (scaling) {
    case 'Linear':
      return value;
    case 'Logarithmic':
      return exp(value);
    case 'ReverseLogarithmic':
      return -expm1(-value);
  }
}

/** The range's ends on its scaled axis (integers widened by half a step, so every integer gets a full cell). */
function axis(range: NumericRange): { scaling: EffectiveScaling; low: number; high: number } {
  const scaling = effectiveScaling(range);
  const widen = range.type === 'integer' ? 0.5 : 0;
  return { scaling, low: forward(scaling, range.min - widen), high: forward(scaling, range.max + widen) };
}

function clamp(value: number, low: number, high: number): number {
  return min(high, max(low, value));
}

/**
 * The value at unit coordinate `u` (0 = the low end, 1 = the high end of the scaled axis); integers are rounded.
 * The result always lies in [min, max].
 */
export function fromUnit(range: NumericRange, u: number): number {
  const { scaling, low, high } = axis(range);
  const value = inverse(scaling, low + clamp(u, 0, 1) * (high - low));
  return range.type === 'integer' ? clamp(round(value), range.min, range.max) : clamp(value, range.min, range.max);
}

/** The unit coordinate of `value` on the range's scaled axis (an integer sits inside its own cell). */
export function toUnit(range: NumericRange, value: number): number {
  const { scaling, low, high } = axis(range);
  if (high === low) return 0.5;
  return clamp((forward(scaling, value) - low) / (high - low), 0, 1);
}

/** A uniform draw on the range's scaled axis (or one of its categorical values). */
export function sampleValue(range: HyperparameterRange, random: RandomSource): number | string {
  if (range.type === 'categorical') return range.values[random.integer(range.values.length)] as string;
  return fromUnit(range, random.next());
}

/** An independent draw for every range, in the ranges' order (the Random strategy). */
export function sampleConfiguration(ranges: SearchRanges, random: RandomSource): Configuration {
  const configuration: Record<string, number | string> = {};
  for (const [name, range] of Object.entries(ranges)) configuration[name] = sampleValue(range, random);
  return configuration;
}

/**
 * The feature vector the Bayesian strategy models: each numeric range's unit coordinate, each categorical range
 * one-hot (a 1 for the chosen value, 0 for the others).
 */
export function encodeConfiguration(ranges: SearchRanges, configuration: Configuration): number[] {
  const features: number[] = [];
  for (const [name, range] of Object.entries(ranges)) {
    const value = configuration[name];
    if (range.type === 'categorical') {
      for (const option of range.values) features.push(option === value ? 1 : 0);
    } else {
      features.push(toUnit(range, Number(value)));
    }
  }
  return features;
}

/** Hyperparameters as SageMaker passes them to a training job: strings (integers without a decimal point). */
export function formatConfiguration(ranges: SearchRanges, configuration: Configuration): Record<string, string> {
  const hyperparameters: Record<string, string> = {};
  for (const name of Object.keys(ranges)) {
    const value = configuration[name];
    if (value !== undefined) hyperparameters[name] = String(value);
  }
  return hyperparameters;
}

/** A key equal for equal configurations, to avoid proposing a point already tried. */
export function configurationKey(ranges: SearchRanges, configuration: Configuration): string {
  return JSON.stringify(Object.keys(ranges).map((name) => configuration[name] ?? null));
}
