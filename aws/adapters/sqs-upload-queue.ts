import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueBatchOutcome, QueuedUpload, UploadQueue } from '../../core/ports/upload-queue.js';
import { RECEIVE_VISIBILITY_SECONDS } from '../../core/trigger/coalescing.js';
import { callAws } from './aws-errors.js';

/** "The maximum is 10" entries of a ChangeMessageVisibilityBatch or DeleteMessageBatch request (SQS API reference). */
const BATCH_LIMIT = 10;

/** Batch requests in flight at once. */
const PARALLEL_REQUESTS = 10;

/**
 * The coalescing queue of upload events (deploy/coalescing.js) on SQS. Receives ask for SentTimestamp, which
 * MessageSystemAttributeNames returns as epoch milliseconds (SQS API reference, ReceiveMessage); the deprecated
 * AttributeNames is not used. Batch entries are numbered within their request: an Id must be unique in it and at most 80
 * characters of `[A-Za-z0-9_-]` (SQS API reference, ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry),
 * and a standard queue may deliver one message twice.
 */
export class SqsUploadQueue implements UploadQueue {
  public constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  public async receive(waitSeconds: number): Promise<QueuedUpload[]> {
    const out = await callAws('ReceiveMessage', () =>
      this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: BATCH_LIMIT,
          VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      ),
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle
        ? [{ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body ?? '', sentAt: Number(m.Attributes?.SentTimestamp ?? 0) }]
        : [],
    );
  }

  public async release(messages: readonly QueuedUpload[], visibilitySeconds: number): Promise<QueueBatchOutcome> {
    return this.inBatches(messages, async (chunk) => {
      const out = await callAws('ChangeMessageVisibilityBatch', () =>
        this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.receiptHandle, VisibilityTimeout: visibilitySeconds })),
          }),
        ),
      );
      return out.Failed ?? [];
    });
  }

  public async delete(messages: readonly QueuedUpload[]): Promise<QueueBatchOutcome> {
    return this.inBatches(messages, async (chunk) => {
      const out = await callAws('DeleteMessageBatch', () =>
        this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chunk.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.receiptHandle })) })),
      );
      return out.Failed ?? [];
    });
  }

  /**
   * Sends `messages` 10 a request, {@link PARALLEL_REQUESTS} requests at a time: a drain of 10,000 messages makes 1,000
   * of them, which one after another would take much of start-run's time budget. A batch request answers 200 even when
   * some entries failed, listing them in `Failed` (SQS API reference, DeleteMessageBatch: "check for batch errors even
   * when the call returns an HTTP status code of 200"): those are returned by message id, for the caller to log.
   */
  private async inBatches(messages: readonly QueuedUpload[], send: (chunk: readonly QueuedUpload[]) => Promise<{ Id?: string | undefined }[]>): Promise<QueueBatchOutcome> {
    const chunks: QueuedUpload[][] = [];
    for (let i = 0; i < messages.length; i += BATCH_LIMIT) chunks.push(messages.slice(i, i + BATCH_LIMIT));
    const failed: string[] = [];
    for (let i = 0; i < chunks.length; i += PARALLEL_REQUESTS) {
      const wave = chunks.slice(i, i + PARALLEL_REQUESTS);
      const answers = await Promise.all(wave.map(send));
      wave.forEach((chunk, w) => {
        for (const entry of answers[w] ?? []) failed.push(chunk[Number((entry.Id ?? '').slice(1))]?.messageId ?? String(entry.Id));
      });
    }
    return { failed };
  }
}
