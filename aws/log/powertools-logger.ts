import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../core/log/logger.js';

/** The one Powertools logger of a Lambda function: JSON lines to CloudWatch, with the Lambda context. */
export const powertools = new PowertoolsLogger({ serviceName: 'sluice' });

/** The Logger port over Powertools. */
export const powertoolsLogger: Logger = {
  debug: (message, fields) => powertools.debug(message, fields ?? {}),
  info: (message, fields) => powertools.info(message, fields ?? {}),
  warn: (message, fields) => powertools.warn(message, fields ?? {}),
  error: (message, fields) => powertools.error(message, fields ?? {}),
};
