import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detachedServerLauncher, listServers, liveServer, stopServer, warmServerLauncher } from '../../../local/runtime/endpoint-launcher.js';
import { writeModelPointer } from '../../../local/serving/model-pointer.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { trainTinyModel } from './tiny-models.js';

/**
 * The background server a run's Deploy starts: the lean entry compiled to dist/ (run `npm run build` first), started
 * detached, answering its launcher on an IPC channel once it serves.
 */
describe('detachedServerLauncher', () => {
  let lake: string;
  let artifact: string;

  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'sluice-lean-server-'));
    artifact = await trainTinyModel(lake, 'model', { task: 'binary', features: 4, seed: 3 });
  });

  afterAll(async () => {
    for (const server of await listServers(lake)) stopServer(server);
    // A stopping server removes its own records from the endpoint folder meanwhile: rm retries on ENOTEMPTY.
    await rm(lake, { recursive: true, force: true, maxRetries: 5 });
  });

  describe('an endpoint with a deployed model', () => {
    it('returns the URL of a lean serving process that already serves the model when the launch resolves', async () => {
      // Prepare
      const dir = join(lake, 'endpoints', 'sluice-local-lean');
      await writeModelPointer(join(dir, 'pointer.json'), { version: 4, modelArtifact: artifact });

      // Act
      const url = await detachedServerLauncher(REPO_ROOT)(dir);

      // Assess: ready means the model is loaded (no 503 window) and the record names the lean entry, not the CLI.
      const ping = (await (await fetch(`${url}/ping`)).json()) as { modelVersion: number };
      expect(ping.modelVersion).toBe(4);
      const record = await liveServer(dir);
      expect(record?.url).toBe(url);
      const argv = readFileSync(`/proc/${record?.pid}/cmdline`, 'utf8').split('\0');
      expect(argv.some((arg) => arg.endsWith(join('dist', 'local', 'serving', 'serve-main.js')))).toBe(true);
      expect(argv).not.toContain(join(REPO_ROOT, 'bin', 'sluice.js'));
    });

    it('returns the running server instead of starting another when the endpoint is served', async () => {
      // Prepare
      const dir = join(lake, 'endpoints', 'sluice-local-twice');
      await writeModelPointer(join(dir, 'pointer.json'), { version: 1, modelArtifact: artifact });
      const first = await detachedServerLauncher(REPO_ROOT)(dir);

      // Act
      const second = await detachedServerLauncher(REPO_ROOT)(dir);

      // Assess
      expect(second).toBe(first);
      expect((await listServers(lake)).filter((server) => server.endpointDir === dir)).toHaveLength(1);
    });
  });

  describe('an endpoint with nothing to serve', () => {
    it('rejects with the server\'s own reason when the pointer names a model its registry does not hold', async () => {
      // Prepare: a candidate left by a run that is gone, with nothing in production to fall back to.
      const dir = join(lake, 'endpoints', 'sluice-local-empty');
      await writeModelPointer(join(dir, 'pointer.json'), { version: 2, modelArtifact: artifact, registryDir: join(lake, 'registry', 'empty') });

      // Act
      const launch = detachedServerLauncher(REPO_ROOT)(dir);

      // Assess
      await expect(launch).rejects.toThrow(/could not start: ServeRefusedError: nothing to serve/);
      expect(await liveServer(dir)).toBeUndefined();
    });
  });

  describe('a server started ahead of the deployment', () => {
    it('serves the endpoint from the warm process when warm ran before the launch', async () => {
      // Prepare
      const dir = join(lake, 'endpoints', 'sluice-local-warm');
      await writeModelPointer(join(dir, 'pointer.json'), { version: 7, modelArtifact: artifact });
      const launcher = warmServerLauncher(REPO_ROOT);
      launcher.warm();

      // Act
      const url = await launcher.launch(dir);

      // Assess: the process serving is the one started without an endpoint, and nothing is left waiting
      const ping = (await (await fetch(`${url}/ping`)).json()) as { modelVersion: number };
      expect(ping.modelVersion).toBe(7);
      const record = await liveServer(dir);
      const argv = readFileSync(`/proc/${record?.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain('--await-endpoint');
      await launcher.release();
    });

    it('ends the warm process when the run releases it unused', async () => {
      // Prepare
      const launcher = warmServerLauncher(REPO_ROOT);
      launcher.warm();
      const before = await listServers(lake);

      // Act
      await launcher.release();

      // Assess: it exited (release resolves on its exit) and recorded no server
      expect(await listServers(lake)).toEqual(before);
    });
  });
});
