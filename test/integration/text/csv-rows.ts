/**
 * Test support: the rows of a CSV file (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks), as
 * the text tests read the raw reviews and tweets they predict.
 */

/** Every row of `text`, the header first, each a list of its fields. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      endField();
    } else if (!quoted && c === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else if (quoted || c !== '\r') {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** The named columns of every data row of a parsed CSV (its first row is the header). */
export function csvColumns<const N extends string>(rows: readonly (readonly string[])[], ...names: N[]): Record<N, string>[] {
  const [header = [], ...data] = rows;
  const at = names.map((name) => header.indexOf(name));
  return data.map((row) => Object.fromEntries(names.map((name, i) => [name, row[at[i] ?? -1] ?? ''])) as Record<N, string>);
}
