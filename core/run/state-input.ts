import type { z } from 'zod';
import { InvalidStateInputError } from '../errors.js';

/**
 * Validates a state's input against its schema at the edge of a step. A mismatch is a wiring bug in the workflow
 * or a hand-edited redrive input, so the message lists every problem with its path.
 */
export function parseStateInput<S extends z.ZodType>(step: string, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`);
  throw new InvalidStateInputError(`${step} received an input it cannot use:\n${problems.join('\n')}`);
}
