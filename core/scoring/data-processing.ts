/**
 * The subset of Batch Transform's `DataProcessing` JSONPath that Sluice uses, for the local batch scorer to apply the
 * very filters the cloud job is given (core/scoring/scoring-format.ts). SageMaker's "Supported JSONPath Operators"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html): `$`, `.<name>`,
 * `['<name>','<name>']`, `[<index>,<index>]` (negative indices count from the end) and `[<start>:]` slices. Anything
 * else is refused, so a filter the local scorer cannot apply never passes for tested.
 */

/** A filter the local batch scorer does not implement. */
export class UnsupportedFilterError extends Error {
  public override readonly name = 'UnsupportedFilterError';
}

/** Applies a filter to a CSV record's fields. */
export function filterFields(fields: readonly string[], filter: string): string[] {
  if (filter === '$') return [...fields];
  const slice = /^\$\[(-?\d+):\]$/.exec(filter);
  if (slice?.[1] !== undefined) return fields.slice(Number(slice[1]));
  const indices = /^\$\[(-?\d+(?:,-?\d+)*)\]$/.exec(filter);
  if (indices?.[1] !== undefined) {
    return indices[1].split(',').map((i) => {
      const n = Number(i);
      const value = fields[n < 0 ? fields.length + n : n];
      if (value === undefined) throw new UnsupportedFilterError(`${filter}: the record has ${fields.length} fields`);
      return value;
    });
  }
  throw new UnsupportedFilterError(`${filter}: not a CSV filter the local batch scorer applies`);
}

/** Applies a filter to a JSON record (an object). */
export function filterObject(record: Readonly<Record<string, unknown>>, filter: string): unknown {
  if (filter === '$') return record;
  const member = /^\$\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(filter);
  if (member?.[1] !== undefined) return record[member[1]];
  const members = /^\$\[('[^']+'(?:,'[^']+')*)\]$/.exec(filter);
  if (members?.[1] !== undefined) {
    const names = members[1].split(',').map((n) => n.slice(1, -1));
    return Object.fromEntries(names.filter((n) => n in record).map((n) => [n, record[n]]));
  }
  throw new UnsupportedFilterError(`${filter}: not a JSON filter the local batch scorer applies`);
}
