import { loadLocalSettings } from '../../../core/config/runtime-config.js';

describe('loadLocalSettings', () => {
  describe('XGBOOST_LIBRARY', () => {
    it('reads XGBOOST_LIBRARY when set and ignores it when blank', () => {
      // Prepare
      const set = { XGBOOST_LIBRARY: ' /opt/xgb/libxgboost.so ' };
      const blank = { XGBOOST_LIBRARY: '  ' };

      // Act
      const fromSet = loadLocalSettings(set).xgboostLibrary;
      const fromBlank = loadLocalSettings(blank).xgboostLibrary;

      // Assess
      expect(fromSet).toBe('/opt/xgb/libxgboost.so');
      expect(fromBlank).toBeUndefined();
    });

    it('leaves the library to the usual install locations when the variable is unset', () => {
      // Act
      const settings = loadLocalSettings({});

      // Assess
      expect(settings).toEqual({ xgboostLibrary: undefined });
      expect(Object.isFrozen(settings)).toBe(true);
    });
  });
});
