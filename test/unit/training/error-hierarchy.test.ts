import { RetryableStepError, SluiceError, TerminalStepError } from '../../../core/errors.js';
import { InvocationError, ModelNotLoadedError, ServingError } from '../../../local/serving/errors.js';
import { TrialFailedError, TuningConfigurationError, TuningError } from '../../../local/tuning/errors.js';
import { deserializeError, HyperparameterValidationError, XgboostError, XgboostNativeError } from '../../../local/xgboost/errors.js';

describe('error hierarchy', () => {
  describe('the local engines’ error families', () => {
    it.each([
      ['XgboostError', new XgboostError('boom')],
      ['TuningError', new TuningError('boom')],
      ['ServingError', new ServingError('boom')],
    ] as const)('makes %s a terminal step error of the one hierarchy, its name kept', (name, error) => {
      // Assess
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(SluiceError);
      expect(error).toBeInstanceOf(TerminalStepError);
      expect(error).not.toBeInstanceOf(RetryableStepError);
      expect(error.retryable).toBe(false);
      expect(error.name).toBe(name);
      expect(error.message).toBe('boom');
    });

    it.each([
      ['HyperparameterValidationError', new HyperparameterValidationError('bad'), XgboostError],
      ['XgboostNativeError', new XgboostNativeError('XGBoosterUpdateOneIter', 'out of memory'), XgboostError],
      ['TuningConfigurationError', new TuningConfigurationError('bad'), TuningError],
      ['TrialFailedError', new TrialFailedError(0, { eta: '0.1' }, new Error('bad')), TuningError],
      ['InvocationError', new InvocationError(400, 'bad'), ServingError],
      ['ModelNotLoadedError', new ModelNotLoadedError('no model yet'), ServingError],
    ] as const)('keeps %s under its family and terminal', (name, error, family) => {
      // Assess
      expect(error).toBeInstanceOf(family);
      expect(error).toBeInstanceOf(TerminalStepError);
      expect(error.retryable).toBe(false);
      expect(error.name).toBe(name);
    });

    it('keeps the wrapped error as cause when an error wraps another', () => {
      // Prepare
      const cause = new Error('koffi: cannot open shared object');

      // Act
      const trial = new TrialFailedError(2, { eta: '0.1' }, cause);
      const serving = new ServingError('cannot serve', { cause });

      // Assess
      expect(trial.cause).toBe(cause);
      expect(serving.cause).toBe(cause);
    });

    it('rebuilds a worker’s error as a terminal error of its class when it crosses the thread boundary', () => {
      // Act
      const error = deserializeError({ name: 'HyperparameterValidationError', message: 'bad' });

      // Assess
      expect(error).toBeInstanceOf(HyperparameterValidationError);
      expect(error).toBeInstanceOf(TerminalStepError);
      expect(error.name).toBe('HyperparameterValidationError');
    });
  });
});
