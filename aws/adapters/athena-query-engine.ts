import { createHash } from 'node:crypto';
import { GetQueryExecutionCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { AthenaClient, QueryExecution } from '@aws-sdk/client-athena';
import { TransientServiceError } from '../../core/errors.js';
import type { QueryEngine, QueryRequest, QueryStatus } from '../../core/ports/query-engine.js';
import { callAws, callAwsTolerating, isAwsError } from './aws-errors.js';
import type { ClassifyOptions } from './aws-errors.js';

/** Athena's ClientRequestToken takes 32 to 128 characters (StartQueryExecution API reference). */
export const REQUEST_TOKEN_MIN = 32;
/** See {@link REQUEST_TOKEN_MIN}. */
export const REQUEST_TOKEN_MAX = 128;

// The API reference gives no pattern for the token; keep to the characters of the UUIDs the SDKs generate for it,
// plus `_` and `.`, so a token never depends on how the service treats anything else.
const TOKEN_SAFE = /^[A-Za-z0-9._-]+$/;
const HASH_CHARS = 64; // sha256, hex
// Athena's own 5xx exception name, which the shared classifier would otherwise only catch through the HTTP status.
const ATHENA_ERRORS: ClassifyOptions = { transientNames: ['InternalServerException'] };

/**
 * The query engine on Amazon Athena. Each query runs in the workgroup it names (one per pipeline: it holds the
 * result location, encryption and the scan cutoff) and is idempotent by request token: starting the
 * same request twice returns the first query's id. Throttling (TooManyRequestsException, ThrottlingException) and
 * Athena's internal errors become TransientServiceError so the state machine retries them.
 */
export class AthenaQueryEngine implements QueryEngine {
  public constructor(private readonly athena: AthenaClient) {}

  public async startQuery(request: QueryRequest): Promise<{ queryId: string }> {
    const out = await callAws(`StartQueryExecution in workgroup ${request.workgroup}`, () =>
      this.athena.send(
        new StartQueryExecutionCommand({
          QueryString: request.sql,
          QueryExecutionContext: { Database: request.database },
          WorkGroup: request.workgroup,
          ClientRequestToken: athenaRequestToken(request.requestToken),
        }),
      ),
      ATHENA_ERRORS,
    );
    // Never seen in practice; retrying is safe because the same token returns the same query.
    if (!out.QueryExecutionId) throw new TransientServiceError('StartQueryExecution returned no QueryExecutionId');
    return { queryId: out.QueryExecutionId };
  }

  public async queryStatus(queryId: string): Promise<QueryStatus> {
    const out = await callAws(
      `GetQueryExecution ${queryId}`,
      () => this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId })),
      ATHENA_ERRORS,
    );
    return toQueryStatus(out.QueryExecution);
  }

  /**
   * StopQueryExecution (Athena API reference: `{ QueryExecutionId }`, "Stops a query execution"). Athena answers a query
   * that already ended with InvalidRequestException: nothing is left to stop, so it is accepted.
   */
  public async stopQuery(queryId: string): Promise<void> {
    await callAwsTolerating(
      `StopQueryExecution ${queryId}`,
      () => this.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId })),
      (error) => isAwsError(error, 'InvalidRequestException'),
      ATHENA_ERRORS,
    );
  }
}

/**
 * Fits a request token to Athena's ClientRequestToken, deterministically. A token of 32 to 128 safe characters
 * (`A-Z a-z 0-9 . _ -`) passes unchanged; any other becomes its safe characters (at most 63) and the SHA-256 of the
 * whole original token, so two different tokens never map to the same one and the result stays readable.
 */
export function athenaRequestToken(token: string): string {
  if (token.length >= REQUEST_TOKEN_MIN && token.length <= REQUEST_TOKEN_MAX && TOKEN_SAFE.test(token)) return token;
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  const readable = token.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, REQUEST_TOKEN_MAX - HASH_CHARS - 1).replace(/-+$/, '');
  return readable ? `${readable}-${hash}` : hash;
}

function toQueryStatus(execution: QueryExecution | undefined): QueryStatus {
  const status = execution?.Status;
  const stats = execution?.Statistics;
  const reason = describeReason(status?.StateChangeReason, status?.AthenaError?.ErrorMessage);
  return {
    // A query Athena has accepted but not yet described is waiting: the wait loop polls again.
    state: status?.State ?? 'QUEUED',
    ...(reason ? { reason } : {}),
    ...(stats?.DataScannedInBytes !== undefined ? { bytesScanned: stats.DataScannedInBytes } : {}),
    ...(stats?.EngineExecutionTimeInMillis !== undefined ? { engineMs: stats.EngineExecutionTimeInMillis } : {}),
  };
}

/** StateChangeReason and AthenaError.ErrorMessage often say the same thing: keep the fuller text once. */
function describeReason(stateChangeReason: string | undefined, errorMessage: string | undefined): string | undefined {
  const reason = stateChangeReason?.trim() || undefined;
  const message = errorMessage?.trim() || undefined;
  if (reason === undefined || message === undefined) return reason ?? message;
  if (reason.includes(message)) return reason;
  if (message.includes(reason)) return message;
  return `${reason} | ${message}`;
}
