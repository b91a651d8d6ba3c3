/**
 * Named errors. Each class sets `name` with a string literal (minifiers rename classes): that name is the error code
 * Step Functions matches in `Retry` and `Catch`. Retryable errors are listed in the ASL's `Retry`; terminal ones fall
 * through to the Catch-all, which records the failure.
 *
 * Every named error of the code base descends from {@link SluiceError} through one of the two bases, including the
 * local engines' families (`XgboostError` in local/xgboost, `TuningError` in local/tuning, `ServingError` in
 * local/serving, all terminal). A wrapping error keeps what it wraps as `cause`.
 */

/** Base of every error Sluice raises on purpose. */
export abstract class SluiceError extends Error {
  public abstract override readonly name: string;
  /** Whether Step Functions should retry the state that threw it. */
  public abstract readonly retryable: boolean;

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A transient failure (throttling, a busy resource, a network blip): the state is retried with backoff. */
export abstract class RetryableStepError extends SluiceError {
  public readonly retryable = true;
}

/** A failure that retrying cannot fix: the run fails and the failure is recorded. */
export abstract class TerminalStepError extends SluiceError {
  public readonly retryable = false;
}

/** A pipeline spec that does not parse or does not validate; the message names the file and the path inside it. */
export class PipelineSpecError extends TerminalStepError {
  public override readonly name = 'PipelineSpecError';
}

/** Environment configuration that is missing or malformed. */
export class ConfigurationError extends TerminalStepError {
  public override readonly name = 'ConfigurationError';
}

/** A run input (S3 event, schedule input, manual input) that cannot be turned into a run context. */
export class InvalidRunInputError extends TerminalStepError {
  public override readonly name = 'InvalidRunInputError';
}

/** A state received an input that does not match its contract: a wiring bug in the workflow, not bad data. */
export class InvalidStateInputError extends TerminalStepError {
  public override readonly name = 'InvalidStateInputError';
}

/** The input file cannot be read as the declared format: binary, wrong delimiter, missing required columns, empty. */
export class UnreadableFileError extends TerminalStepError {
  public override readonly name = 'UnreadableFileError';
}

/** Every row of the input file broke the data contract; the rows were quarantined before this was thrown. */
export class AllRowsRejectedError extends TerminalStepError {
  public override readonly name = 'AllRowsRejectedError';
}

/** An object the run expects is not in the store. */
export class ObjectNotFoundError extends TerminalStepError {
  public override readonly name = 'ObjectNotFoundError';
}

/** A call to a storage or AWS service failed in a way that may pass (throttling, timeouts, 5xx). */
export class TransientServiceError extends RetryableStepError {
  public override readonly name = 'TransientServiceError';
}

/** SageMaker refused for lack of capacity or quota (ResourceLimitExceeded): retried with a long backoff. */
export class ResourceLimitError extends RetryableStepError {
  public override readonly name = 'ResourceLimitError';
}

/** The error codes Step Functions retries: kept here so the ASL test can check the definition lists them all. */
export const RETRYABLE_ERROR_CODES: readonly string[] = ['TransientServiceError', 'ResourceLimitError'];

/** A short, printable description of any thrown value. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
