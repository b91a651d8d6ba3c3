import type { TuningRange } from '../../core/training/tuning-ranges.js';

/**
 * Ranges every tuner must refuse, with the part of the message that names the problem: the rule set of
 * core/training/tuning-ranges.ts, checked on its own and through the local tuner, so both runtimes refuse alike.
 */
export const BAD_TUNING_RANGES: readonly (readonly [title: string, range: TuningRange, message: RegExp])[] = [
  ['a log range reaching 0', { type: 'continuous', min: 0, max: 1, scaling: 'Logarithmic' }, /greater than 0/],
  ['a reverse-log range reaching 1', { type: 'continuous', min: 0.5, max: 1, scaling: 'ReverseLogarithmic' }, /0 <= x < 1/],
  ['a reverse-log integer range', { type: 'integer', min: 0, max: 1, scaling: 'ReverseLogarithmic' }, /not supported for integer/],
  ['an integer range with a fractional end', { type: 'integer', min: 1.5, max: 4, scaling: 'Linear' }, /integer min and max/],
  ['min above max', { type: 'continuous', min: 3, max: 1, scaling: 'Linear' }, /must be below max/],
  ['min equal to max', { type: 'integer', min: 4, max: 4, scaling: 'Linear' }, /must be below max/],
  ['an empty categorical range', { type: 'categorical', values: [] }, /at least one value/],
  ['repeated categorical values', { type: 'categorical', values: ['a', 'a'] }, /distinct/],
];
