/**
 * Raw-record serving specs for tests that need a feature query of their own: a small `orders` contract whose
 * `features.sql` the test writes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { rawServingSpecOf } from '../../core/serving/raw-serving-spec-of.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import { specFrom } from './spec-fixtures.js';

/** The `orders` pipeline: a status (the label's source) and an amount, neither nullable. */
const ORDERS_YAML =
  'name: orders\nsource: { format: csv }\ncontract:\n  columns:\n    - { name: status, type: string, nullable: false }\n    - { name: amount, type: double, nullable: false }\nfeatures: {}\n';

/** The raw-record serving spec of the `orders` pipeline with `featuresSql` as its feature query, written under `dir`. */
export function ordersRawSpec(dir: string, featuresSql: string): RawServingSpec {
  writeFileSync(path.join(dir, 'features.sql'), featuresSql);
  const spec = rawServingSpecOf(specFrom(ORDERS_YAML, dir));
  if (spec === undefined) throw new Error('the orders pipeline has no raw-record serving spec');
  return spec;
}
