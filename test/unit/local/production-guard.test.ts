import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { currentProcess } from '../../../local/runtime/pipeline-lock.js';
import { readModelPointer, writeModelPointer } from '../../../local/serving/model-pointer.js';
import { enforceProduction, superviseEndpoint } from '../../../local/serving/production-guard.js';

type Status = 'Approved' | 'Rejected' | 'PendingManualApproval';

/** A process that has exited: our pid with a start time that is not ours (the pid was reused). */
const KILLED_RUN = { pid: process.pid, startTicks: 'not-this-process', hostname: hostname() };

describe('enforceProduction', () => {
  let lake: string;
  let registryDir: string;
  let pointer: string;

  async function record(version: number, status: Status): Promise<void> {
    await writeFile(
      path.join(registryDir, `v${String(version).padStart(6, '0')}.json`),
      JSON.stringify({ pipeline: 'churn', version, status, modelArtifact: `s3://lake/models/churn/v${version}/model.tar.gz` }),
    );
  }

  async function point(version: number, extra: Record<string, unknown> = {}): Promise<void> {
    await writeModelPointer(pointer, { version, modelArtifact: path.join(lake, 'lake', `models/churn/v${version}/model.tar.gz`), registryDir, lakeRoot: lake, ...extra });
  }

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-guard-'));
    registryDir = path.join(lake, 'lake', 'registry', 'churn');
    await mkdir(registryDir, { recursive: true });
    pointer = path.join(lake, 'endpoints', 'sluice-local-churn', 'pointer.json');
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  describe('a deployment killed after it moved the pointer', () => {
    it('points the endpoint back at the production version when the deploying process is gone', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'PendingManualApproval');
      await point(2, { deployment: KILLED_RUN });

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toEqual({ action: 'restored', version: 1, reason: 'version 2 was being deployed by a run that is gone: production version 1 restored' });
      const restored = readModelPointer(pointer);
      expect(restored).toMatchObject({ version: 1, modelArtifact: path.join(lake, 'lake', 'models/churn/v1/model.tar.gz') });
      expect(restored.deployment).toBeUndefined();
    });

    it('keeps the candidate when the process deploying it is still running', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'PendingManualApproval');
      await point(2, { deployment: currentProcess() });

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toEqual({ action: 'keep', version: 2 });
      expect(readModelPointer(pointer).version).toBe(2);
    });
  });

  describe('a deployment that failed (its candidate rejected)', () => {
    it('restores the production version when the served version was rejected', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'Rejected');
      await point(2, { deployment: currentProcess() });

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toEqual({ action: 'restored', version: 1, reason: 'version 2 is Rejected, not the production model: production version 1 restored' });
      expect(readModelPointer(pointer).version).toBe(1);
    });

    it('removes the pointer when only the rejected model would be served', async () => {
      // Prepare
      await record(1, 'Rejected');
      await point(1, { deployment: currentProcess() });

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toEqual({ action: 'cleared', reason: 'version 1 is Rejected, not the production model, and no model is in production' });
      expect(existsSync(pointer)).toBe(false);
    });
  });

  describe('a pointer naming the production version', () => {
    it('leaves the pointer as it is', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'Approved');
      await point(2);

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toEqual({ action: 'keep', version: 2 });
    });

    it('moves to the newest approved version when the pointer names an older one', async () => {
      // Prepare
      await record(1, 'Approved');
      await record(2, 'Approved');
      await point(1);

      // Act
      const verdict = await enforceProduction(pointer);

      // Assess
      expect(verdict).toMatchObject({ action: 'restored', version: 2 });
    });
  });
});

describe('superviseEndpoint', () => {
  describe('a lake deleted under a running server', () => {
    it('asks the server to stop when its pointer disappears', async () => {
      // Prepare
      const lake = await mkdtemp(path.join(tmpdir(), 'sluice-guard-'));
      const pointer = path.join(lake, 'endpoints', 'sluice-local-churn', 'pointer.json');
      await writeModelPointer(pointer, { version: 1, modelArtifact: '/models/v1.tar.gz' });
      let stop!: (reason: string) => void;
      const stopped = new Promise<string>((resolve) => {
        stop = resolve;
      });
      const supervisor = superviseEndpoint({ pointerFile: pointer, intervalMs: 5, onStop: stop });

      // Act
      await rm(lake, { recursive: true, force: true });
      const reason = await stopped;
      supervisor.close();

      // Assess
      expect(reason).toBe(`the model pointer ${pointer} is gone (its lake was deleted or the endpoint removed)`);
    });
  });

  describe('a failed deployment left the only model rejected', () => {
    it('asks the server to stop when the served version is rejected and nothing is in production', async () => {
      // Prepare
      const lake = await mkdtemp(path.join(tmpdir(), 'sluice-guard-'));
      const registryDir = path.join(lake, 'lake', 'registry', 'churn');
      await mkdir(registryDir, { recursive: true });
      const pointer = path.join(lake, 'endpoints', 'sluice-local-churn', 'pointer.json');
      await writeFile(path.join(registryDir, 'v000001.json'), JSON.stringify({ version: 1, status: 'PendingManualApproval', modelArtifact: 's3://lake/m.tar.gz' }));
      await writeModelPointer(pointer, { version: 1, modelArtifact: '/m.tar.gz', registryDir, lakeRoot: lake, deployment: currentProcess() });
      let stop!: (reason: string) => void;
      const stopped = new Promise<string>((resolve) => {
        stop = resolve;
      });
      const supervisor = superviseEndpoint({ pointerFile: pointer, intervalMs: 5, onStop: stop });

      // Act: RecordFailure rejects the candidate of the failed run.
      await writeFile(path.join(registryDir, 'v000001.json'), JSON.stringify({ version: 1, status: 'Rejected', modelArtifact: 's3://lake/m.tar.gz' }));
      const reason = await stopped;
      supervisor.close();

      // Assess
      expect(reason).toBe('version 1 is Rejected, not the production model, and no model is in production');
      expect(existsSync(pointer)).toBe(false);
      await rm(lake, { recursive: true, force: true });
    });
  });
});
