/**
 * Named errors of the local XGBoost trainer. Every `name` is a string literal (minifiers rename classes) and is
 * the error code a Step Functions `Catch` sees. All of them are terminal: retrying the same input fails the same way.
 */
import { TerminalStepError } from '../../core/errors.js';

/** Base of every error thrown by `local/xgboost`: terminal, like every other failure of a training job. */
export class XgboostError extends TerminalStepError {
  public override readonly name: string = 'XgboostError';
}

/** The XGBoost shared library could not be found or loaded; the message says how to install it. */
export class XgboostNotInstalledError extends XgboostError {
  public override readonly name = 'XgboostNotInstalledError';
}

/** The XGBoost library found is not the version SageMaker's `1.7-1` container runs (1.7.x). */
export class XgboostVersionError extends XgboostError {
  public override readonly name = 'XgboostVersionError';
}

/** An XGBoost C API call returned a nonzero code; the message carries `XGBGetLastError()`. */
export class XgboostNativeError extends XgboostError {
  public override readonly name = 'XgboostNativeError';

  public constructor(
    /** The C function that failed, e.g. `XGBoosterUpdateOneIter`. */
    public readonly functionName: string,
    /** What `XGBGetLastError()` returned right after the failure. */
    public readonly lastError: string,
  ) {
    super(`${functionName} failed: ${lastError}`);
  }
}

/** A hyperparameter is unknown, missing, of the wrong type or out of range. */
export class HyperparameterValidationError extends XgboostError {
  public override readonly name = 'HyperparameterValidationError';
}

/** A training or validation file is not the CSV SageMaker XGBoost reads (no header, label first, numeric). */
export class CsvFormatError extends XgboostError {
  public override readonly name = 'CsvFormatError';
}

/** A channel holds no data rows (or no files). */
export class EmptyChannelError extends XgboostError {
  public override readonly name = 'EmptyChannelError';
}

/** A model file or `model.tar.gz` cannot be read as an XGBoost model. */
export class ModelFormatError extends XgboostError {
  public override readonly name = 'ModelFormatError';
}

/** The training worker died or was stopped before it returned a result. */
export class TrainingAbortedError extends XgboostError {
  public override readonly name = 'TrainingAbortedError';
}

/** The shape an error takes to cross the worker boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly functionName?: string | undefined;
  readonly lastError?: string | undefined;
}

/** Turns any thrown value into a structured-clone-safe record. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof XgboostNativeError) {
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      functionName: error.functionName,
      lastError: error.lastError,
    };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

const rebuilders: Record<string, (message: string) => XgboostError> = {
  XgboostNotInstalledError: (m) => new XgboostNotInstalledError(m),
  XgboostVersionError: (m) => new XgboostVersionError(m),
  HyperparameterValidationError: (m) => new HyperparameterValidationError(m),
  CsvFormatError: (m) => new CsvFormatError(m),
  EmptyChannelError: (m) => new EmptyChannelError(m),
  ModelFormatError: (m) => new ModelFormatError(m),
  TrainingAbortedError: (m) => new TrainingAbortedError(m),
};

/** Rebuilds the named error class from a {@link SerializedError}, so callers can `instanceof` / match on `name`. */
export function deserializeError(record: SerializedError): Error {
  let error: Error;
  if (record.name === 'XgboostNativeError' && record.functionName !== undefined) {
    error = new XgboostNativeError(record.functionName, record.lastError ?? '');
  } else {
    const rebuild = rebuilders[record.name];
    error = rebuild ? rebuild(record.message) : new XgboostError(record.message);
  }
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}
