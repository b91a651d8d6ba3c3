/**
 * Named errors of the local fastText trainer and predictor. Every `name` is a string literal (minifiers rename
 * classes); all are terminal: the same input fails the same way again.
 */
import { TerminalStepError } from '../../core/errors.js';

/** Base of every error thrown by `local/fasttext`. */
export class FastTextError extends TerminalStepError {
  public override readonly name: string = 'FastTextError';
}

/** The `fasttext` command could not be started; the message says how to install it. */
export class FastTextNotInstalledError extends FastTextError {
  public override readonly name = 'FastTextNotInstalledError';
}

/** `fasttext` exited with an error, or answered something the predictor cannot read; the message quotes it. */
export class FastTextProcessError extends FastTextError {
  public override readonly name = 'FastTextProcessError';
}

/** A hyperparameter set BlazingText would refuse (the documented rules of supervised mode). */
export class FastTextHyperparameterError extends FastTextError {
  public override readonly name = 'FastTextHyperparameterError';
}
