import middy from '@middy/core';
import type { StateName, Step, StepDeps, StepOutput } from '../../core/steps/registry.js';
import { withStepDefaults } from './with-step-defaults.js';

/** The Lambda handler of one Task state: its step, wrapped in the shared middleware stack. */
export type StepHandler<S extends StateName> = middy.MiddyfiedHandler<unknown, StepOutput<S>>;

/**
 * The Lambda handler of Task state `state`: runs `step` (the registry's step for that state, imported from its own
 * module so the function's bundle carries that step only) with `deps`, built once per execution environment, under
 * {@link withStepDefaults}. test/unit/architecture/step-registry.test.ts loads every handler and checks it runs the
 * registry's step for its state.
 *
 * @example
 * // functions/get-crawler-state/handler.ts
 * const deps = crawlDeps(loadRuntimeConfig());
 * export const handler = stepHandler('GetCrawlerState', getCrawlerState, deps);
 */
export function stepHandler<S extends StateName>(state: S, step: Step<S>, deps: StepDeps<S>): StepHandler<S> {
  return middy((input: unknown) => step(input, deps)).use(withStepDefaults(state));
}
