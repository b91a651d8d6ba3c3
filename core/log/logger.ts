/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/**
 * The logging port. In Lambda it is Powertools' Logger (JSON to CloudWatch, with the run id and step appended by
 * the shared middleware); locally it writes JSON lines to the run's log file. Step code logs only through it.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything: for tests that do not look at logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger writing one JSON object a line through `write`, each carrying `context` (run id, step). */
export function jsonLinesLogger(write: (line: string) => void, context: LogFields = {}): Logger {
  const emit = (level: string) => (message: string, fields?: LogFields) =>
    write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, message, ...context, ...fields })}\n`);
  return { debug: emit('DEBUG'), info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR') };
}
