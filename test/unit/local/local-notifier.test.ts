import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../../core/log/logger.js';
import type { RunNotification } from '../../../core/ports/notifier.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LocalNotifier } from '../../../local/adapters/local-notifier.js';

const NOTIFICATION: RunNotification = {
  pipeline: 'churn',
  runId: 'churn-r1',
  outcome: 'failed',
  subject: 'Sluice churn: FAILED in DescribeTraining: TrainingJobFailedError',
  body: 'Failed state: DescribeTraining\n',
  manifest: 's3://lake/runs/churn/churn-r1.json',
};

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (message: string) => void errors.push(message), child: () => logger, errors };
  return logger as unknown as Logger & { errors: string[] };
}

/** A webhook on 127.0.0.1 answering `status`, resolving each body it receives. */
async function webhook(status: number): Promise<{ url: string; server: Server; received: Promise<{ body: string; contentType: string | undefined }> }> {
  let resolve: (value: { body: string; contentType: string | undefined }) => void = () => undefined;
  const received = new Promise<{ body: string; contentType: string | undefined }>((r) => (resolve = r));
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(status).end();
      resolve({ body: Buffer.concat(chunks).toString('utf8'), contentType: req.headers['content-type'] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, received };
}

describe('LocalNotifier', () => {
  let root: string;
  let server: Server | undefined;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-notifier-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    await rm(root, { recursive: true, force: true });
  });

  describe('a pipeline with a webhook', () => {
    it('posts the notification as JSON and records it in the lake with the answer when the webhook accepts it', async () => {
      // Prepare
      const hook = await webhook(204);
      server = hook.server;
      const store = new FolderObjectStore(root);
      const notifier = new LocalNotifier(store, 'lake', () => hook.url, recordingLogger(), () => new Date('2026-11-30T01:00:00Z'));

      // Act
      await notifier.notify(NOTIFICATION);

      // Assess
      const posted = await hook.received;
      expect(JSON.parse(posted.body)).toEqual(NOTIFICATION);
      expect(posted.contentType).toBe('application/json');
      const recorded = JSON.parse(await readFile(store.pathOf({ bucket: 'lake', key: 'notifications/churn/churn-r1.json' }), 'utf8')) as unknown;
      expect(recorded).toEqual({ ...NOTIFICATION, sentAt: '2026-11-30T01:00:00.000Z', webhook: { url: hook.url, status: 204 } });
    });

    it('records the failure, logs it and resolves when the webhook answers 500', async () => {
      // Prepare
      const hook = await webhook(500);
      server = hook.server;
      const logger = recordingLogger();
      const store = new FolderObjectStore(root);

      // Act
      await new LocalNotifier(store, 'lake', () => hook.url, logger).notify(NOTIFICATION);

      // Assess
      const recorded = JSON.parse(await readFile(store.pathOf({ bucket: 'lake', key: 'notifications/churn/churn-r1.json' }), 'utf8')) as { webhook: unknown };
      expect(recorded.webhook).toEqual({ url: hook.url, status: 500 });
      expect(logger.errors).toEqual(['the notification webhook refused the message']);
    });

    it('records the error and resolves when nothing listens at the webhook', async () => {
      // Prepare
      const hook = await webhook(200);
      await new Promise<void>((r) => hook.server.close(() => r()));
      const logger = recordingLogger();
      const store = new FolderObjectStore(root);

      // Act
      await new LocalNotifier(store, 'lake', () => hook.url, logger).notify(NOTIFICATION);

      // Assess
      const recorded = JSON.parse(await readFile(store.pathOf({ bucket: 'lake', key: 'notifications/churn/churn-r1.json' }), 'utf8')) as { webhook: { error?: string } };
      expect(recorded.webhook.error).toMatch(/fetch failed|ECONNREFUSED/);
      expect(logger.errors).toEqual(['could not post the notification to the webhook']);
    });
  });

  describe('a pipeline without a webhook', () => {
    it('only records the notification when the spec names no webhook', async () => {
      // Prepare
      const store = new FolderObjectStore(root);

      // Act
      await new LocalNotifier(store, 'lake', () => undefined, recordingLogger()).notify(NOTIFICATION);

      // Assess
      const recorded = JSON.parse(await readFile(store.pathOf({ bucket: 'lake', key: 'notifications/churn/churn-r1.json' }), 'utf8')) as Record<string, unknown>;
      expect(recorded.webhook).toBeUndefined();
      expect(recorded.subject).toBe(NOTIFICATION.subject);
    });
  });
});
