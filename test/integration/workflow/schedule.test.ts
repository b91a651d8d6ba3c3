import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { RunNotification } from '../../../core/ports/notifier.js';
import type { FiringOutcome } from '../../../local/runtime/local-scheduler.js';
import { LocalScheduler } from '../../../local/runtime/local-scheduler.js';
import { listRuns } from '../../../local/runtime/run-history.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { runLocal, timeBasedExecutionName } from '../../../local/runtime/run-local.js';
import { freshLake } from '../../support/local-run.js';
import { REPO_ROOT, SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

/**
 * Issue 13: `sluice schedule` fires a pipeline's schedule and the run happens, through the whole local workflow, with
 * the cloud schedule's input; its notification reaches the spec's webhook (a server of this test) and the lake. The
 * rate is Scheduler's smallest, `rate(1 minute)`; the test scales a rate's minute to 20 ms (a scheduler option the
 * spec loader never sees) and waits on the run's end, never on a sleep.
 */
describe('local schedule', () => {
  let server: Server | undefined;
  let lake: string | undefined;

  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (lake) await rm(lake, { recursive: true, force: true });
  });

  describe('a pipeline scheduled every minute', () => {
    it('runs the workflow with a schedule input and notifies the webhook when the schedule fires', async () => {
      // Prepare
      let posted: (body: RunNotification) => void = () => undefined;
      const webhookBody = new Promise<RunNotification>((r) => (posted = r));
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(200).end();
          posted(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RunNotification);
        });
      });
      await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sluice`;
      const spec = specFrom(`${SMALL_SPEC_YAML}\nschedule:\n  expression: rate(1 minute)\nnotifications:\n  webhookUrl: ${url}\n`);
      const runLake = await freshLake();
      lake = runLake;
      let finished: (outcome: FiringOutcome<RunSummary>) => void = () => undefined;
      const firstRun = new Promise<FiringOutcome<RunSummary>>((r) => (finished = r));
      const scheduler = new LocalScheduler<RunSummary>({
        specs: [spec],
        rateMinuteMs: 20,
        run: (s) => runLocal({ projectRoot: REPO_ROOT, spec: s, specs: fixedSpecCatalog([s]), lakeRoot: runLake, input: { trigger: 'schedule', pipeline: s.name }, executionName: timeBasedExecutionName(s.name) }),
        onFinish: (outcome) => finished(outcome),
      });

      // Act
      scheduler.start();
      const outcome = await firstRun;
      await scheduler.stop();

      // Assess
      if ('error' in outcome) throw outcome.error;
      expect(outcome.pipeline).toBe('orders');
      expect(outcome.result.status).toBe('SUCCEEDED');
      expect(outcome.result.steps.map((s) => s.name)).toEqual(['NormalizeInput', 'RecordRun']);
      const runs = await listRuns(runLake, 'orders');
      expect(runs.find((r) => r.runId === outcome.result.runId)).toMatchObject({ trigger: 'schedule', status: 'SUCCEEDED', outcome: 'succeeded', notification: { webhook: { url, status: 200 } } });
      const body = await webhookBody;
      expect(body).toMatchObject({ pipeline: 'orders', outcome: 'succeeded', subject: 'Sluice orders: run succeeded, 0 rows curated' });
      expect(body.body).toContain('(schedule)');
    });
  });
});
