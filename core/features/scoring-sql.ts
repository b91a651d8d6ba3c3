/**
 * The pipeline's own feature query in scoring mode: the same SQL that built the training sets, run over new rows.
 * Batch scoring (StartScoringQuery) and the raw-record endpoint both call {@link scoringSelectSql}, so training,
 * batch and real-time predictions come from one definition (no training/serving skew). The SQL is the dialect both
 * engines run (Athena's Trino, and DuckDB through core/sql's compatibility layer), like the training wrapper.
 */
import type { PipelineSpec } from '../spec/load-spec.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import { isSignificant, tokenizeSql } from '../sql/trino-compat-lexer.js';
import { quoteIdentifier } from '../sql/quote.js';
import { channelTextSql } from '../text/channel-line.js';
import { tableName } from '../run/naming.js';
import { InvalidFeatureQueryError, labelSourceColumns, narrowTable, outerSelect, readFeatureQuery } from './feature-sql.js';

/** What {@link scoringSelectSql} needs besides the spec and the relation. */
export interface ScoringSqlOptions {
  /** Columns of `relation` carried through, first in the result, under their own names (`source_row`, the spec's ids). */
  idColumns: readonly string[];
  /** Whether `relation` holds the contract columns the label is computed from; false: they are supplied as NULL. */
  labelPresent: boolean;
}

/** The prefix of the helper names the ids travel under inside the query, so they never clash with a feature's name. */
const ID_HELPER_PREFIX = '__sluice_id_';

/**
 * `scoringSelectSql(spec, relation, { idColumns, labelPresent })`: the pipeline's feature query (features.sql, checked
 * as training checks it) rewritten to read `relation` (a table or view name, already quoted as the engine needs it,
 * holding the contract's columns) instead of the pipeline's table. The result's columns, in order:
 *
 * 1. `idColumns`, under their own names, as `relation` holds them (e.g. `source_row` and the spec's `scoring.idColumns`);
 * 2. the feature query's columns exactly as training has them: the label first (computed from NULL when
 *    `labelPresent` is false: the contract columns the label expression reads are added as
 *    `CAST(NULL AS <contract type>) AS <column>`), then the features;
 * 3. text pipelines (BlazingText): the query's `label` and `text`, the text as a channel line's words
 *    (`channelTextSql`, core/text/channel-line.ts: the words a training line held, without the label).
 *
 * The ids are selected inside the table's subquery under helper names and renamed in the outer SELECT list, so an id
 * never clashes with a feature of the same name and a table alias in the query (`FROM churn c`) needs no special case.
 * A query whose outer SELECT list holds `*` (which would return the helper columns) or that aggregates (GROUP BY: no
 * row to carry an id for) cannot score row by row and is refused with InvalidFeatureQueryError.
 */
export function scoringSelectSql(spec: PipelineSpec, relation: string, options: ScoringSqlOptions): string {
  const table = tableName(spec.name);
  const query = readFeatureQuery(spec, table);
  const contract = spec.contract.columns;
  const nulls = options.labelPresent
    ? []
    : labelSourceColumns(query, contract.map((c) => c.name)).map((name) => {
        const type = contract.find((c) => c.name === name)?.type ?? 'string';
        return `CAST(NULL AS ${COLUMN_TYPES[type]}) AS ${quoteIdentifier(name)}`;
      });
  const helpers = options.idColumns.map((id) => `${quoteIdentifier(id)} AS ${quoteIdentifier(`${ID_HELPER_PREFIX}${id}`)}`);
  const rows = `SELECT ${['*', ...nulls, ...helpers].join(', ')} FROM ${relation}`;
  const outer = options.idColumns.map((id) => `${quoteIdentifier(`${ID_HELPER_PREFIX}${id}`)} AS ${quoteIdentifier(id)}`);
  const scoring = withLeadingColumns(narrowTable(query, table, rows), outer);
  if (spec.training?.algorithm !== 'blazingtext') return scoring;
  const ids = options.idColumns.map((id) => quoteIdentifier(id));
  return [`SELECT ${[...ids, 'label', `${channelTextSql('text')} AS text`].join(', ')}`, `FROM (\n${scoring}\n) AS features`].join('\n');
}

/** The query with `columns` first in its outer SELECT list (the last SELECT at depth 0, after a WITH). */
function withLeadingColumns(query: string, columns: readonly string[]): string {
  if (columns.length === 0) return query;
  const tokens = tokenizeSql(query);
  const { selectAt, fromAt, groupByAt, setOperator } = outerSelect(tokens);
  if (groupByAt >= 0) throw new InvalidFeatureQueryError('the feature query aggregates (GROUP BY): scoring needs one output row per input row to carry its ids');
  if (setOperator !== undefined) throw new InvalidFeatureQueryError(`the feature query combines queries with ${setOperator.toUpperCase()}: scoring needs one SELECT over the pipeline table`);
  if (selectAt < 0 || fromAt < selectAt) throw new InvalidFeatureQueryError('the feature query must be one SELECT … FROM over the pipeline table to score');
  const significant = tokens.map((t, i) => ({ t, i })).filter(({ t, i }) => isSignificant(t) && i > selectAt && i < fromAt);
  for (const [k, { t }] of significant.entries()) {
    const previous = significant[k - 1]?.t.text.toLowerCase();
    if (t.text === '*' && (previous === undefined || previous === ',' || previous === '.' || previous === 'distinct' || previous === 'all')) {
      throw new InvalidFeatureQueryError('the feature query selects "*": name its columns to score (a "*" would return the scoring helper columns too)');
    }
  }
  // After DISTINCT / ALL, which must stay first in the list.
  let at = selectAt;
  const first = significant[0];
  if (first !== undefined && ['distinct', 'all'].includes(first.t.text.toLowerCase())) at = first.i;
  const out = tokens.map((t) => t.text);
  out[at] = `${out[at] ?? ''} ${columns.join(', ')},`;
  return out.join('');
}
