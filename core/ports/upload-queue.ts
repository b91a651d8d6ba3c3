/** One upload event waiting in the coalescing queue. */
export interface QueuedUpload {
  /** The queue's message id: what the logs name. */
  messageId: string;
  /** What a release or a delete of this receipt goes by. */
  receiptHandle: string;
  /** The EventBridge event the upload rule sent (an S3 "Object Created" event, as JSON). */
  body: string;
  /** When the queue took the message, in epoch milliseconds (its SentTimestamp): the age a quiet period is measured by. */
  sentAt: number;
}

/** What a batch call could not do: the message ids it failed for. */
export interface QueueBatchOutcome {
  failed: string[];
}

/**
 * The coalescing queue of upload events as start-run's drain reads it (SQS in AWS). The drain is its single reader: it
 * receives, then either deletes what a run covers or releases what must wait for a later tick.
 */
export interface UploadQueue {
  /**
   * Receives up to 10 messages and hides them from other receives for the receive visibility timeout. `waitSeconds` 0
   * samples part of the queue and returns at once; above 0 it waits that long for a message and asks the whole queue.
   */
  receive(waitSeconds: number): Promise<QueuedUpload[]>;
  /** Makes messages visible again after `visibilitySeconds` (0: at once), for a later tick to receive. */
  release(messages: readonly QueuedUpload[], visibilitySeconds: number): Promise<QueueBatchOutcome>;
  /** Deletes messages whose uploads a run covers, or that will never start one. */
  delete(messages: readonly QueuedUpload[]): Promise<QueueBatchOutcome>;
}
