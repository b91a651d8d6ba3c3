/**
 * Named errors of the local hyperparameter tuner. Every `name` is a string literal (minifiers rename classes) and is
 * the error code a Step Functions `Catch` sees. All of them are terminal: the same tuning job fails the same way.
 */
import { TerminalStepError } from '../../core/errors.js';

/** Base of every error thrown by `local/tuning`: terminal, the same tuning job fails the same way. */
export class TuningError extends TerminalStepError {
  public override readonly name: string = 'TuningError';
}

/**
 * The tuning job is not one SageMaker would accept (a log-scaled range reaching 0, a Grid over a numeric range,
 * an objective metric that is not `<channel>:<metric>`, ...); the message says what to change.
 */
export class TuningConfigurationError extends TuningError {
  public override readonly name = 'TuningConfigurationError';
}

/** A trial's training failed; the tuning job stops there (`cause` is the training error). */
export class TrialFailedError extends TuningError {
  public override readonly name = 'TrialFailedError';

  public constructor(
    /** 0-based index of the trial that failed. */
    public readonly trialIndex: number,
    /** The hyperparameters the tuner chose for it. */
    public readonly hyperparameters: Readonly<Record<string, string>>,
    cause: unknown,
  ) {
    const shown = Object.entries(hyperparameters)
      .map(([name, value]) => `${name}=${value}`)
      .join(', ');
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`trial ${trialIndex} (${shown}) failed: ${reason}`, { cause });
  }
}

/** No trial produced a model with a finite objective value, so there is no best training job to report. */
export class NoEligibleTrialError extends TuningError {
  public override readonly name = 'NoEligibleTrialError';
}

/** A training job did not report the tuning job's objective metric (e.g. `validation:auc` without a validation channel). */
export class ObjectiveMetricMissingError extends TuningError {
  public override readonly name = 'ObjectiveMetricMissingError';
}
