/**
 * Load-time checks of a spec's `scoring:` section (docs/pipeline-spec.md, "scoring"): every id column is a contract
 * column, none is named twice, none is the reserved `source_row`, and none is one the label is computed from (a scoring
 * file may lack the label, so an id read from it would be NULL exactly when it is needed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { labelSourceColumns } from '../features/feature-sql.js';

/** The column every prediction carries: the 1-based row number of the record in the scoring file. */
export const SOURCE_ROW_COLUMN = 'source_row';

/** The parts of a spec the scoring checks read (the schema's output, before the spec is frozen). */
interface ScoringSpecPart {
  contract: { columns: readonly { name: string }[] };
  features?: { query: string } | undefined;
  scoring?: { idColumns: readonly string[] } | undefined;
}

/** Problems of a spec's scoring section, each `scoring.<path>: <what to change>`. */
export function scoringSectionProblems(spec: ScoringSpecPart, dir: string): string[] {
  const scoring = spec.scoring;
  if (!scoring) return [];
  const names = spec.contract.columns.map((c) => c.name);
  const problems: string[] = [];
  let label: string[] = [];
  if (spec.features) {
    try {
      label = labelSourceColumns(readFileSync(path.resolve(dir, spec.features.query), 'utf8'), names);
    } catch {
      // A missing query file is reported where the features are checked; the ids are still checked against the contract.
    }
  }
  const seen = new Set<string>();
  scoring.idColumns.forEach((id, index) => {
    const at = `scoring.idColumns.${index}`;
    if (id === SOURCE_ROW_COLUMN) problems.push(`${at}: "${SOURCE_ROW_COLUMN}" is added to every prediction already (the row number in the scoring file); remove it`);
    else if (!names.includes(id)) problems.push(`${at}: "${id}" is not a column of the contract (${names.join(', ')})`);
    else if (label.includes(id)) problems.push(`${at}: "${id}" is the label's column, which a scoring file may lack; carry another column`);
    if (seen.has(id)) problems.push(`${at}: "${id}" is named twice`);
    seen.add(id);
  });
  return problems;
}
