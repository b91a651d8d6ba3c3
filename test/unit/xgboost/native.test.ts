import { deserializeError, serializeError, XgboostNativeError, XgboostNotInstalledError } from '../../../local/xgboost/errors.js';
import { resolveXgboostLibrary } from '../../../local/xgboost/native.js';

describe('native library lookup', () => {
  describe('resolveXgboostLibrary', () => {
    it('throws XgboostNotInstalledError with install instructions when no candidate exists', () => {
      // Prepare
      const candidates = ['/nonexistent/libxgboost.so'];

      // Act
      const act = (): unknown => resolveXgboostLibrary(undefined, candidates);

      // Assess
      expect(act).toThrow(XgboostNotInstalledError);
      expect(act).toThrow(/looked in \/nonexistent\/libxgboost\.so.*sudo apt-get install libxgboost0.*XGBOOST_LIBRARY/);
    });

    it('throws XgboostNotInstalledError naming the path when an explicit path is missing', () => {
      // Prepare
      const explicit = '/nonexistent/custom/libxgboost.so';

      // Act
      const act = (): unknown => resolveXgboostLibrary(explicit);

      // Assess
      expect(act).toThrow(`XGBoost library not found at ${explicit}`);
    });

    it('picks the first existing candidate when several are listed', () => {
      // Prepare: this file exists, the first candidate does not
      const candidates = ['/nonexistent/libxgboost.so', __filename];

      // Act
      const path = resolveXgboostLibrary(undefined, candidates);

      // Assess
      expect(path).toBe(__filename);
    });

    it('gives the error the name Step Functions matches on', () => {
      // Prepare
      let caught: unknown;

      // Act
      try {
        resolveXgboostLibrary(undefined, []);
      } catch (error) {
        caught = error;
      }

      // Assess
      expect((caught as Error).name).toBe('XgboostNotInstalledError');
    });
  });

  describe('errors crossing the worker boundary', () => {
    it('rebuilds the named class with its fields when deserialized', () => {
      // Prepare
      const original = new XgboostNativeError('XGBoosterUpdateOneIter', 'label must be in [0,1]');

      // Act
      const rebuilt = deserializeError(serializeError(original));

      // Assess
      expect(rebuilt).toBeInstanceOf(XgboostNativeError);
      expect(rebuilt.name).toBe('XgboostNativeError');
      expect(rebuilt.message).toBe('XGBoosterUpdateOneIter failed: label must be in [0,1]');
      expect((rebuilt as XgboostNativeError).lastError).toBe('label must be in [0,1]');
    });
  });
});
