import { isTextModel, ModelSlot, modelInfo, TEXT_OBJECTIVE } from '../../../local/serving/model-slot.js';
import type { SlotModel } from '../../../local/serving/model-slot.js';
import type { TextServingModel } from '../../../local/serving/text-model.js';
import type { XgboostModel } from '../../../local/xgboost/model.js';

/** A text model that records whether it was freed (no process behind it). */
function fakeTextModel(): TextServingModel & { freedTimes: number } {
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const model = {
    kind: 'text' as const,
    pid: undefined,
    freedTimes: 0,
    predict: () => Promise.resolve([]),
    free() {
      model.freedTimes++;
      resolveClosed();
    },
    closed,
  };
  return model;
}

function fakeXgboostModel(): XgboostModel & { freedTimes: number } {
  const model = {
    objective: 'binary:logistic',
    numFeatures: 3,
    numClass: 0,
    rounds: 1,
    attributes: {},
    freedTimes: 0,
    predict: () => new Float32Array(0),
    free() {
      model.freedTimes++;
    },
  };
  return model;
}

describe('ModelSlot with text models', () => {
  describe('describing a model', () => {
    it('reports BlazingText supervised and no features when the model is a text model', () => {
      // Prepare
      const model = fakeTextModel();

      // Act
      const info = modelInfo(model, 4, '/m/model.tar.gz');

      // Assess
      expect(isTextModel(model)).toBe(true);
      expect(info).toMatchObject({ version: 4, modelArtifact: '/m/model.tar.gz', objective: TEXT_OBJECTIVE, numFeatures: 0 });
    });

    it('tells an XGBoost model from a text model when the model has no kind', () => {
      // Prepare
      const model: SlotModel = fakeXgboostModel();

      // Act
      const text = isTextModel(model);

      // Assess
      expect(text).toBe(false);
    });
  });

  describe('a swap from a text model to an XGBoost model', () => {
    it('frees the text model once its last request is done and hands it to onFreed when replaced', async () => {
      // Prepare
      const freed: SlotModel[] = [];
      const slot = new ModelSlot((_info, model) => freed.push(model));
      const text = fakeTextModel();
      slot.install(text, modelInfo(text, 1, 'a'));
      const lease = slot.acquire();

      // Act
      const xgboost = fakeXgboostModel();
      slot.install(xgboost, modelInfo(xgboost, 2, 'b'));
      const freedBeforeRelease = text.freedTimes;
      lease?.release();
      await text.closed;

      // Assess
      expect(freedBeforeRelease).toBe(0);
      expect(text.freedTimes).toBe(1);
      expect(freed).toEqual([text]);
      expect(slot.info?.version).toBe(2);
      expect(slot.loadedModels).toBe(1);
    });
  });
});
