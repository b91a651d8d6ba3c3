/**
 * The errors of a feature query the local engine refuses or fails, in their own module so that the Trino
 * compatibility layer and the single-statement check share them without importing each other.
 */
import { TerminalStepError } from '../errors.js';

/** Options shared by the feature-query errors. */
export interface FeatureQueryErrorOptions {
  /** The underlying error (usually DuckDB's). */
  readonly cause?: unknown;
  /** The Trino SQL that failed, kept for logs and the run manifest (never put in the message). */
  readonly sql?: string;
}

/**
 * A query uses a function that Sluice's local DuckDB engine cannot run (it may still run on Athena). Terminal: the
 * same SQL fails the same way on a retry. `name` is the ASL error code.
 */
export class UnsupportedSqlFunctionError extends TerminalStepError {
  public override readonly name = 'UnsupportedSqlFunctionError';

  /** The offending function names, lower case, as Trino spells them. */
  public readonly functionNames: readonly string[];

  /** The Trino SQL that failed, when known. */
  public readonly sql: string | undefined;

  /**
   * @param functionNames the functions with no local equivalent
   * @param options `cause`, `sql`, and `detail`: a sentence appended to the message
   */
  public constructor(functionNames: readonly string[], options: FeatureQueryErrorOptions & { readonly detail?: string } = {}) {
    const list = functionNames.join(', ');
    const subject = functionNames.length === 1 ? `Function ${list} has` : `Functions ${list} have`;
    const detail = options.detail === undefined ? '' : ` ${options.detail}`;
    super(`${subject} no local equivalent in Sluice's DuckDB engine.${detail}`, { cause: options.cause });
    this.functionNames = functionNames;
    this.sql = options.sql;
  }
}

/** The feature query failed in the local engine for a reason other than an unsupported function. Terminal. */
export class FeatureQueryError extends TerminalStepError {
  public override readonly name = 'FeatureQueryError';

  /** The Trino SQL that failed, when known. */
  public readonly sql: string | undefined;

  /**
   * @param message one clean line (DuckDB's first line, or Sluice's own sentence)
   * @param options `cause` and `sql`
   */
  public constructor(message: string, options: FeatureQueryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.sql = options.sql;
  }
}
