import { DescribeExecutionCommand, paginateGetExecutionHistory, paginateListExecutions } from '@aws-sdk/client-sfn';
import type { ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionHistory, FailedChildExecution, HistoryEvent, MapRunChildren } from '../../core/ports/execution-history.js';
import { classifyAwsError } from './aws-errors.js';

/** The largest page GetExecutionHistory returns: "The default is 100 and the maximum allowed page size is 1000". */
export const HISTORY_PAGE_SIZE = 1000;

/** The largest page ListExecutions returns: "The default is 100 and the maximum allowed page size is 1000". */
export const EXECUTIONS_PAGE_SIZE = 1000;

/**
 * The statuses of a map run's children that count against its tolerated failures: "the total number of failed or timed
 * out items" (Step Functions developer guide, "Tolerated failure threshold for Distributed Map state"). ABORTED children
 * are the ones Step Functions stopped because the map run failed: they have no error of their own.
 */
const FAILED_CHILD_STATUSES: readonly ExecutionStatus[] = ['FAILED', 'TIMED_OUT'];

/**
 * The history port on Step Functions: GetExecutionHistory with `reverseOrder: true` ("Use the reverseOrder parameter
 * to get the latest events first"), pages of 1,000 events followed by `nextToken` (Step Functions API reference,
 * GetExecutionHistory), through the SDK's paginator. The caller stops reading once it has what it needs, so a failure
 * near the end of a 25,000-event history costs one call, not 25.
 *
 * It also finds a failed Distributed Map's children (issue 10): a child workflow execution has its own history, apart
 * from the parent's (developer guide, "Using Map state in Distributed mode"), so the parent's history holds only the
 * map's `MapRunStarted` (its `mapRunArn`) and the map's `States.ExceedToleratedFailureThreshold`, not which file
 * failed. ListExecutions with `mapRunArn` "returns a list of all of the child workflow executions started by a Map Run"
 * and `statusFilter` narrows it to one status (API reference, ListExecutions); DescribeExecution returns each child's
 * `input` (the item: the file), `error` and `cause` (API reference, DescribeExecution). These are documented for every
 * map run, where the ResultWriter's output on a failed map run is not: the documentation describes the files it writes
 * and the `resultsWritten` count (DescribeMapRun), not whether a map run that fails past its threshold writes them.
 */
export class SfnExecutionHistory implements ExecutionHistory, MapRunChildren {
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

  /**
   * The map run's failed and timed-out children, at most `limit`: ListExecutions (`mapRunArn`, `statusFilter`) page by
   * page, then DescribeExecution of each, one at a time (a failed map run with a 0% tolerance stops early: its failed
   * children are few, and one call at a time stays inside the DescribeExecution rate).
   */
  public async failedChildren(mapRunArn: string, limit: number): Promise<FailedChildExecution[]> {
    const children: FailedChildExecution[] = [];
    for (const statusFilter of FAILED_CHILD_STATUSES) {
      try {
        const pages = paginateListExecutions({ client: this.sfn, pageSize: EXECUTIONS_PAGE_SIZE }, { mapRunArn, statusFilter });
        for await (const page of pages) {
          for (const listed of page.executions ?? []) {
            if (children.length >= limit) return children;
            if (listed.executionArn === undefined) continue;
            const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn: listed.executionArn }));
            children.push({ status: described.status ?? statusFilter, input: described.input, error: described.error, cause: described.cause });
          }
        }
      } catch (error) {
        throw classifyAwsError(error, `ListExecutions / DescribeExecution of the map run ${mapRunArn}`);
      }
    }
    return children;
  }
}
