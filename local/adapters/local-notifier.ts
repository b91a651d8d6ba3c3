import type { Logger } from '../../core/log/logger.js';
import type { Notifier, RunNotification } from '../../core/ports/notifier.js';
import type { ObjectStore } from '../../core/ports/object-store.js';
import { lakeLayout } from '../../core/run/lake-layout.js';
import { describeError } from '../../core/errors.js';

/** How long a webhook may take to answer before it counts as failed (ms). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A notification as the lake keeps it: the message, when it was sent, and how the webhook answered. */
export interface RecordedNotification extends RunNotification {
  sentAt: string;
  webhook?: { url: string; status?: number; error?: string };
}

/**
 * The local notifier: records every run notification in the lake (`notifications/<pipeline>/<runId>.json`, which
 * `sluice runs` and `sluice show` print) and POSTs it as JSON to the pipeline's `notifications.webhookUrl`, if it has
 * one. A webhook that fails or does not answer is logged and recorded with the notification: it never fails the run.
 */
export class LocalNotifier implements Notifier {
  public constructor(
    private readonly store: ObjectStore,
    private readonly lakeBucket: string,
    private readonly webhookOf: (pipeline: string) => string | undefined,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Posts to the webhook (if any), then records the notification with the webhook's answer. */
  public async notify(notification: RunNotification): Promise<void> {
    const url = this.webhookOf(notification.pipeline);
    const recorded: RecordedNotification = { ...notification, sentAt: this.clock().toISOString() };
    if (url !== undefined) recorded.webhook = await this.post(url, notification);
    const key = lakeLayout.notificationKey(notification.pipeline, notification.runId);
    await this.store.putText({ bucket: this.lakeBucket, key }, `${JSON.stringify(recorded, null, 2)}\n`, 'application/json');
  }

  private async post(url: string, notification: RunNotification): Promise<NonNullable<RecordedNotification['webhook']>> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      // The body is not read: drain it so the connection is released.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) this.logger.error('the notification webhook refused the message', { url, status: response.status });
      return { url, status: response.status };
    } catch (error) {
      const { name, message } = describeError(error);
      this.logger.error('could not post the notification to the webhook', { url, error: { name, message } });
      return { url, error: `${name}: ${message}` };
    }
  }
}
