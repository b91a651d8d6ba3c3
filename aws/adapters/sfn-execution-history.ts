import { paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionHistory, HistoryEvent } from '../../core/ports/execution-history.js';
import { classifyAwsError } from './aws-errors.js';

/** The largest page GetExecutionHistory returns: "The default is 100 and the maximum allowed page size is 1000". */
export const HISTORY_PAGE_SIZE = 1000;

/**
 * The history port on Step Functions: GetExecutionHistory with `reverseOrder: true` ("Use the reverseOrder parameter
 * to get the latest events first"), pages of 1,000 events followed by `nextToken` (Step Functions API reference,
 * GetExecutionHistory), through the SDK's paginator. The caller stops reading once it has what it needs, so a failure
 * near the end of a 25,000-event history costs one call, not 25.
 */
export class SfnExecutionHistory implements ExecutionHistory {
  public constructor(private readonly sfn: SFNClient) {}

  public async *newestFirst(executionArn: string): AsyncIterable<HistoryEvent> {
    const pages = paginateGetExecutionHistory({ client: this.sfn, pageSize: HISTORY_PAGE_SIZE }, { executionArn, reverseOrder: true, includeExecutionData: true });
    try {
      for await (const page of pages) {
        for (const event of page.events ?? []) {
          if (event.id === undefined || event.type === undefined) continue;
          yield { ...event, id: event.id, type: event.type };
        }
      }
    } catch (error) {
      throw classifyAwsError(error, `GetExecutionHistory ${executionArn}`);
    }
  }
}
