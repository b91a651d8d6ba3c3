/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * JSON for a `<script type="application/json">` block: `<` escaped so no value can close the script element.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** A number as a person reads it in a table: up to 4 significant decimals, integers as they are. */
export function formatNumber(value: unknown): string {
  if (typeof value !== 'number') return value === undefined || value === null ? '' : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return groupedInteger(value);
  return Math.abs(value) >= 1000 ? value.toFixed(1) : value.toPrecision(4).replace(/\.?0+$/, '');
}

/** An object's field as a record, or undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A field that is a number, or undefined. */
export function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A field that is a string, or undefined. */
export function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A table with a header row; cells are HTML already escaped by the caller. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * An integer as `toLocaleString('en-US')` writes it (`1,234,567`, `-0` for negative zero), without Intl: the process's
 * first Intl.NumberFormat loads ICU's locale data, about 25 ms on this machine, paid by a run's RecordRun for a handful
 * of row counts (issue 16). Below 1e21 `String` writes every digit, so grouping them by three is the same text; larger
 * integers (`String` would write an exponent) go to Intl. The report test checks it against toLocaleString.
 */
function groupedInteger(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e21) return value.toLocaleString('en-US');
  const digits = String(magnitude).replace(/\B(?=(\d{3})+$)/g, ',');
  return value < 0 || Object.is(value, -0) ? `-${digits}` : digits;
}
