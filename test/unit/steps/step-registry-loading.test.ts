import { readdirSync } from 'node:fs';
import path from 'node:path';
import type * as Registry from '../../../core/steps/registry.js';

const STEPS_DIR = path.join(__dirname, '..', '..', '..', 'core', 'steps');

/** Every step module of core/steps/ (the registry itself aside), by file name without extension. */
const stepFiles = readdirSync(STEPS_DIR)
  .filter((name) => name.endsWith('.ts') && name !== 'registry.ts')
  .map((name) => name.slice(0, -'.ts'.length));

/** `get-crawler-state` → `getCrawlerState`: the function a step module exports. */
const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The registry, loaded with every step module replaced by a stand-in that records its loading and answers with the
 * name of the module that ran: what was loaded, and when, is then plain to see.
 */
function registryWithRecordedLoads(): { registry: typeof Registry; loads: string[] } {
  const loads: string[] = [];
  let registry: typeof Registry | undefined;
  jest.isolateModules(() => {
    for (const file of stepFiles) {
      jest.doMock(path.join(STEPS_DIR, file), () => {
        loads.push(file);
        return { [camel(file)]: async (input: unknown) => ({ ranStepOf: file, input }) };
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules loads with require.
    registry = require('../../../core/steps/registry.js') as typeof Registry;
  });
  if (registry === undefined) throw new Error('the registry did not load');
  return { registry, loads };
}

describe('step registry', () => {
  describe('loading step modules', () => {
    it('loads no step module when the registry itself is loaded', () => {
      // Act
      const { registry, loads } = registryWithRecordedLoads();

      // Assess
      expect(registry.stateNames.length).toBeGreaterThan(0);
      expect(loads).toEqual([]);
    });

    it('loads a state\'s module once, on its first call, and runs its step when the state runs twice', async () => {
      // Prepare
      const { registry, loads } = registryWithRecordedLoads();
      const deps = {} as Registry.StepDeps<'GetCrawlerState'>;

      // Act
      const first = await registry.stepRegistry.GetCrawlerState({ poll: 1 }, deps);
      const second = await registry.stepRegistry.GetCrawlerState({ poll: 2 }, deps);

      // Assess
      expect(loads).toEqual(['get-crawler-state']);
      expect([first, second]).toEqual([
        { ranStepOf: 'get-crawler-state', input: { poll: 1 } },
        { ranStepOf: 'get-crawler-state', input: { poll: 2 } },
      ]);
    });

    it('loads the module again on the next call when its first load failed', async () => {
      // Prepare
      const { registry, loads } = registryWithRecordedLoads();
      let failNext = true;
      jest.doMock(path.join(STEPS_DIR, 'start-crawler'), () => {
        loads.push('start-crawler');
        if (failNext) {
          failNext = false;
          throw new Error('disk went away');
        }
        return { startCrawler: async () => ({ ranStepOf: 'start-crawler' }) };
      });
      const deps = {} as Registry.StepDeps<'StartCrawler'>;

      // Act
      const failed = await registry.stepRegistry.StartCrawler({}, deps).catch((error: unknown) => error);
      const retried = await registry.stepRegistry.StartCrawler({}, deps);

      // Assess
      expect(failed).toEqual(new Error('disk went away'));
      expect(retried).toEqual({ ranStepOf: 'start-crawler' });
      expect(loads).toEqual(['start-crawler', 'start-crawler']);
    });
  });
});
