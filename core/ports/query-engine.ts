/** A query to run: Athena SQL (Trino dialect), in a database, idempotent by `requestToken`. */
export interface QueryRequest {
  sql: string;
  database: string;
  /** The Athena workgroup (one per pipeline: it enforces the result location and the scan limit). */
  workgroup: string;
  /** The same token never starts a second query (Athena's ClientRequestToken, 32-128 characters). */
  requestToken: string;
  /**
   * The spec's limit for the query (`features.timeoutSeconds`). The local engine stops a query still running then;
   * Athena takes no per-query limit, so there the poll loop's count enforces it.
   */
  timeoutSeconds?: number;
}

/** Where a query stands. */
export interface QueryStatus {
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** The engine's reason when the query failed or was cancelled. */
  reason?: string;
  bytesScanned?: number;
  engineMs?: number;
  /** The engine stopped the query because it ran past the request's `timeoutSeconds` (state CANCELLED). */
  timedOut?: boolean;
}

/** The query engine port: Athena in AWS, DuckDB with Trino-compatibility macros locally. */
export interface QueryEngine {
  startQuery(request: QueryRequest): Promise<{ queryId: string }>;
  queryStatus(queryId: string): Promise<QueryStatus>;
  /** Stops a query that is still running (a failed run's other split); a query that ended is left as it is. */
  stopQuery(queryId: string): Promise<void>;
}
