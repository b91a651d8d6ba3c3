import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TransientServiceError } from '../../../core/errors.js';
import type { EndpointSpec } from '../../../core/ports/model-hosting.js';
import { LocalHosting, endpointDir, readPointer } from '../../../local/adapters/local-hosting.js';

const ENDPOINT = 'sluice-local-churn';

function spec(version: number): EndpointSpec {
  return {
    endpointName: ENDPOINT,
    modelName: `model-${version}`,
    endpointConfigName: `config-${version}`,
    image: 'local/xgboost',
    modelArtifact: `/models/v${version}/model.tar.gz`,
    modelVersion: version,
    mode: 'realtime',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    serverlessMemoryMb: 2048,
    serverlessMaxConcurrency: 5,
    trafficShift: 'all-at-once',
  };
}

describe('LocalHosting', () => {
  let lake: string;
  let registryDir: string;
  const launches: string[] = [];

  /** One hosting object per run, as each run builds its own adapters. */
  function hostingOfRun(busyWaitMs?: number): LocalHosting {
    return new LocalHosting(lake, (uri) => uri, (dir) => {
      launches.push(dir);
      return Promise.resolve('http://127.0.0.1:1');
    }, { registryDirOf: () => registryDir, ...(busyWaitMs === undefined ? {} : { busyWaitMs }) });
  }

  async function record(version: number, status: string): Promise<void> {
    await writeFile(path.join(registryDir, `v${String(version).padStart(6, '0')}.json`), JSON.stringify({ version, status, modelArtifact: `/models/v${version}/model.tar.gz` }));
  }

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-hosting-'));
    registryDir = path.join(lake, 'lake', 'registry', 'churn');
    await mkdir(registryDir, { recursive: true });
    launches.length = 0;
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  describe('two runs deploying to one endpoint', () => {
    it('deploys the second run only after the first run\'s candidate is promoted', async () => {
      // Prepare: run A's candidate (version 2) is on the endpoint, pending its smoke test.
      await record(1, 'Approved');
      await record(2, 'PendingManualApproval');
      await record(3, 'PendingManualApproval');
      await hostingOfRun().deploy(spec(2));

      // Act: run B deploys version 3 while A's deployment is in flight; A's PromoteModel then approves version 2.
      const second = hostingOfRun().deploy(spec(3));
      let secondDone = false;
      void second.then(() => {
        secondDone = true;
      });
      for (let turn = 0; turn < 200; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      const pointerWhileBusy = await readPointer(endpointDir(lake, ENDPOINT));
      const doneWhileBusy = secondDone;
      await record(2, 'Approved');
      const result = await second;

      // Assess
      expect(pointerWhileBusy?.version).toBe(2);
      expect(doneWhileBusy).toBe(false);
      expect(result).toEqual({ operation: 'update' });
      expect(await readPointer(endpointDir(lake, ENDPOINT))).toMatchObject({ version: 3, endpointConfigName: 'config-3', registryDir, lakeRoot: lake });
      expect(launches).toHaveLength(2);
    });

    it('throws TransientServiceError naming the other deployment when it is still in flight at the deadline', async () => {
      // Prepare
      await record(2, 'PendingManualApproval');
      await hostingOfRun().deploy(spec(2));

      // Act
      const error: unknown = await hostingOfRun(0).deploy(spec(3)).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe(`Endpoint ${ENDPOINT} is still deploying version 2 for another run (process ${process.pid}); version 3 was not deployed`);
      expect((await readPointer(endpointDir(lake, ENDPOINT)))?.version).toBe(2);
    });

    it('redeploys at once when the same run deploys again (the smoke test restoring production)', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'PendingManualApproval');
      const run = hostingOfRun(0);
      await run.deploy(spec(2));

      // Act
      const result = await run.deploy(spec(1));

      // Assess
      expect(result).toEqual({ operation: 'update' });
      expect((await readPointer(endpointDir(lake, ENDPOINT)))?.version).toBe(1);
    });
  });
});
