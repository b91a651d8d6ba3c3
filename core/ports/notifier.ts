/** How a finished run ended, as its notification says it. */
export type RunOutcome = 'promoted' | 'not promoted' | 'approved, not deployed' | 'succeeded' | 'skipped' | 'failed';

/** One message about one finished run: a subject a person can scan, the run's summary as the body. */
export interface RunNotification {
  pipeline: string;
  runId: string;
  outcome: RunOutcome;
  /** ASCII, one line, under 100 characters (SNS's Subject limit, core/notify/run-notification.ts). */
  subject: string;
  body: string;
  /** Where the run manifest is: `s3://<bucket>/runs/<pipeline>/<runId>.json`. */
  manifest: string;
}

/** The notifier port: an SNS topic in AWS; the lake (and an optional webhook) locally. */
export interface Notifier {
  /** Sends the notification of one finished run. */
  notify(notification: RunNotification): Promise<void>;
}
