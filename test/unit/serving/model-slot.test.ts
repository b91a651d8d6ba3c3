import { ModelSlot } from '../../../local/serving/model-slot.js';
import type { ModelInfo } from '../../../local/serving/model-slot.js';
import type { XgboostModel } from '../../../local/xgboost/model.js';

/** A stand-in model that records whether it was freed. */
function fakeModel(): XgboostModel & { freed: boolean } {
  const model = {
    objective: 'binary:logistic',
    numClass: 0,
    numFeatures: 3,
    rounds: 1,
    attributes: {},
    freed: false,
    predict: (_rows: Float32Array, nRows: number) => new Float32Array(nRows),
    free() {
      model.freed = true;
    },
  };
  return model;
}

const info = (version: number): ModelInfo => ({
  version,
  modelArtifact: `/models/v${version}/model.tar.gz`,
  loadedAt: '2026-11-01T00:00:00.000Z',
  objective: 'binary:logistic',
  numFeatures: 3,
  numClass: 0,
});

describe('ModelSlot', () => {
  describe('an empty slot', () => {
    it('gives no lease when no model was installed', () => {
      // Prepare
      const slot = new ModelSlot();

      // Act
      const lease = slot.acquire();

      // Assess
      expect(lease).toBeUndefined();
      expect(slot.info).toBeUndefined();
    });
  });

  describe('a swap', () => {
    it('frees the old model at once when no request holds it', () => {
      // Prepare
      const freed: Array<number | undefined> = [];
      const slot = new ModelSlot((model) => freed.push(model.version));
      const first = fakeModel();
      slot.install(first, info(1));

      // Act
      const previous = slot.install(fakeModel(), info(2));

      // Assess
      expect(previous?.version).toBe(1);
      expect(first.freed).toBe(true);
      expect(freed).toEqual([1]);
      expect(slot.info?.version).toBe(2);
      expect(slot.loadedModels).toBe(1);
    });

    it('keeps the old model for a request that took it before the swap when the request is still running', () => {
      // Prepare
      const slot = new ModelSlot();
      const first = fakeModel();
      slot.install(first, info(1));
      const inFlight = slot.acquire();

      // Act
      slot.install(fakeModel(), info(2));
      const later = slot.acquire();

      // Assess
      expect(inFlight?.model).toBe(first);
      expect(inFlight?.info.version).toBe(1);
      expect(later?.info.version).toBe(2);
      expect(first.freed).toBe(false);
      expect(slot.loadedModels).toBe(2);
      expect(slot.activeLeases).toBe(2);
    });

    it('frees the old model when its last lease is released', () => {
      // Prepare
      const freed: Array<number | undefined> = [];
      const slot = new ModelSlot((model) => freed.push(model.version));
      const first = fakeModel();
      slot.install(first, info(1));
      const a = slot.acquire();
      const b = slot.acquire();
      slot.install(fakeModel(), info(2));

      // Act
      a?.release();
      const afterOne = first.freed;
      b?.release();
      b?.release();

      // Assess
      expect(afterOne).toBe(false);
      expect(first.freed).toBe(true);
      expect(freed).toEqual([1]);
      expect(slot.loadedModels).toBe(1);
      expect(slot.activeLeases).toBe(0);
    });
  });

  describe('clearing', () => {
    it('frees the current model after its requests end when the slot is cleared', () => {
      // Prepare
      const slot = new ModelSlot();
      const model = fakeModel();
      slot.install(model, info(1));
      const lease = slot.acquire();

      // Act
      slot.clear();
      const whileHeld = model.freed;
      lease?.release();

      // Assess
      expect(whileHeld).toBe(false);
      expect(model.freed).toBe(true);
      expect(slot.acquire()).toBeUndefined();
      expect(slot.loadedModels).toBe(0);
    });

    it('does not free a current model when a lease on it is released', () => {
      // Prepare
      const slot = new ModelSlot();
      const model = fakeModel();
      slot.install(model, info(1));

      // Act
      slot.acquire()?.release();

      // Assess
      expect(model.freed).toBe(false);
      expect(slot.info?.version).toBe(1);
    });
  });
});
