import path from 'node:path';
import { parsePipelineSpec } from '../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';

/** The repository root, for tests that read the shipped pipelines and state machine. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A small valid spec, as YAML, that tests change one field at a time. */
export const SMALL_SPEC_YAML = `
name: orders
source:
  format: csv
contract:
  columns:
    - { name: id, type: integer, nullable: false, min: 1 }
    - { name: status, type: string, nullable: false, allowed: [open, closed] }
    - { name: amount, type: double, min: 0 }
    - { name: code, type: string, pattern: "[A-Z]{3}", maxLength: 3 }
    - { name: note, type: string, required: false }
partitioning:
  columns: [status]
`;

/**
 * SMALL_SPEC_YAML plus a "billion laughs": seven levels of nine aliases, a few lines that would expand into 9^7
 * strings. The loader must refuse it, naming the file, before expanding it.
 */
export const ALIAS_BOMB_SPEC_YAML = `${SMALL_SPEC_YAML}
x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
`;

/** Parses YAML as the spec of a pipeline living in `dir`. */
export function specFrom(yaml: string, dir = '/tmp/pipelines/orders'): PipelineSpec {
  return parsePipelineSpec(yaml, path.join(dir, 'pipeline.yml'));
}
