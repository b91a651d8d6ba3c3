import { createHash } from 'node:crypto';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryEngine, athenaRequestToken } from '../../../aws/adapters/athena-query-engine.js';
import { TransientServiceError } from '../../../core/errors.js';

const athena = mockClient(AthenaClient);

const QUERY_ID = '6f1c2d3e-0000-4000-8000-00000000abcd';
const VALID_TOKEN = 'churn-20261120T100000Z-1a2b3c4d-features';

describe('AthenaQueryEngine', () => {
  const engine = new AthenaQueryEngine(new AthenaClient({ region: 'us-east-1' }));

  beforeEach(() => {
    athena.reset();
  });

  describe('startQuery', () => {
    it('sends the SQL, database, workgroup and token and returns the query id when Athena accepts the query', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });

      // Act
      const result = await engine.startQuery({ sql: 'SELECT 1', database: 'sluice_dev', workgroup: 'sluice-dev-churn', requestToken: VALID_TOKEN });

      // Assess
      expect(result).toEqual({ queryId: QUERY_ID });
      expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
      expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
        QueryString: 'SELECT 1',
        QueryExecutionContext: { Database: 'sluice_dev' },
        WorkGroup: 'sluice-dev-churn',
        ClientRequestToken: VALID_TOKEN,
      });
    });

    it('sends a normalised token of 32 to 128 characters when the request token does not fit Athena', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });

      // Act
      await engine.startQuery({ sql: 'SELECT 1', database: 'sluice_dev', workgroup: 'sluice-dev-churn', requestToken: 'run:42/features' });

      // Assess
      const token = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ClientRequestToken;
      expect(token).toBe(athenaRequestToken('run:42/features'));
      expect(token).toMatch(/^run-42-features-[0-9a-f]{64}$/);
    });

    it('throws TransientServiceError when Athena answers TooManyRequestsException', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED', $metadata: {} }));

      // Act
      const error: unknown = await engine.startQuery({ sql: 'SELECT 1', database: 'd', workgroup: 'sluice-dev-churn', requestToken: VALID_TOKEN }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe('StartQueryExecution in workgroup sluice-dev-churn failed for now (TooManyRequestsException): Rate exceeded');
    });

    it('throws TransientServiceError when Athena answers InternalServerException without an HTTP status', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).rejects(Object.assign(new Error('internal'), { name: 'InternalServerException' }));

      // Act / Assess
      await expect(engine.startQuery({ sql: 'SELECT 1', database: 'd', workgroup: 'sluice-dev-churn', requestToken: VALID_TOKEN })).rejects.toMatchObject({
        name: 'TransientServiceError',
        retryable: true,
      });
    });

    it('rethrows the SDK error unchanged when Athena rejects the request as invalid', async () => {
      // Prepare
      const invalid = new InvalidRequestException({ message: 'line 1:8: mismatched input', $metadata: { httpStatusCode: 400 } });
      athena.on(StartQueryExecutionCommand).rejects(invalid);

      // Act / Assess
      await expect(engine.startQuery({ sql: 'SELECT FROM', database: 'd', workgroup: 'sluice-dev-churn', requestToken: VALID_TOKEN })).rejects.toBe(invalid);
    });
  });

  describe('queryStatus', () => {
    it('maps state, bytes scanned and engine time when the query succeeded', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          QueryExecutionId: QUERY_ID,
          Status: { State: 'SUCCEEDED' },
          Statistics: { DataScannedInBytes: 1_048_576, EngineExecutionTimeInMillis: 1234, TotalExecutionTimeInMillis: 1500 },
        },
      });

      // Act
      const status = await engine.queryStatus(QUERY_ID);

      // Assess
      expect(status).toEqual({ state: 'SUCCEEDED', bytesScanned: 1_048_576, engineMs: 1234 });
      expect(athena.commandCalls(GetQueryExecutionCommand)[0]?.args[0].input).toEqual({ QueryExecutionId: QUERY_ID });
    });

    it('reports the state change reason and Athena’s error message when the query failed', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          Status: {
            State: 'FAILED',
            StateChangeReason: 'HIVE_BAD_DATA: Error parsing field value',
            AthenaError: { ErrorCategory: 2, ErrorType: 1002, ErrorMessage: "column 'tenure' type mismatch" },
          },
          Statistics: { DataScannedInBytes: 0, EngineExecutionTimeInMillis: 80 },
        },
      });

      // Act
      const status = await engine.queryStatus(QUERY_ID);

      // Assess
      expect(status).toEqual({
        state: 'FAILED',
        reason: "HIVE_BAD_DATA: Error parsing field value | column 'tenure' type mismatch",
        bytesScanned: 0,
        engineMs: 80,
      });
    });

    it('reports the reason once when the error message repeats the state change reason', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          Status: {
            State: 'FAILED',
            StateChangeReason: 'TABLE_NOT_FOUND: line 1:15: Table awsdatacatalog.sluice_dev.churn does not exist',
            AthenaError: { ErrorMessage: 'TABLE_NOT_FOUND: line 1:15: Table awsdatacatalog.sluice_dev.churn does not exist' },
          },
        },
      });

      // Act
      const status = await engine.queryStatus(QUERY_ID);

      // Assess
      expect(status).toEqual({ state: 'FAILED', reason: 'TABLE_NOT_FOUND: line 1:15: Table awsdatacatalog.sluice_dev.churn does not exist' });
    });

    it('returns only the state when a running query has no statistics yet', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });

      // Act
      const status = await engine.queryStatus(QUERY_ID);

      // Assess
      expect(status).toEqual({ state: 'RUNNING' });
    });

    it('reports QUEUED when Athena returns no status yet', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: QUERY_ID } });

      // Act / Assess
      await expect(engine.queryStatus(QUERY_ID)).resolves.toEqual({ state: 'QUEUED' });
    });

    it('throws TransientServiceError when GetQueryExecution is throttled', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(engine.queryStatus(QUERY_ID)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });
});

describe('athenaRequestToken', () => {
  describe('a token that already fits', () => {
    it('returns the token unchanged when it has 32 to 128 safe characters', () => {
      // Prepare
      const shortest = 'a'.repeat(32);
      const longest = 'b'.repeat(128);

      // Act / Assess
      expect(athenaRequestToken(VALID_TOKEN)).toBe(VALID_TOKEN);
      expect(athenaRequestToken(shortest)).toBe(shortest);
      expect(athenaRequestToken(longest)).toBe(longest);
    });
  });

  describe('a token that does not fit', () => {
    it.each([
      ['too short', 'run-1'],
      ['too long', 'x'.repeat(200)],
      ['made of unsafe characters', 'sluice/churn:2026-11-20T10:00:00Z#features ✓ and more text'],
      ['empty', ''],
    ])('returns 32 to 128 safe characters when the token is %s', (_case, token) => {
      // Act
      const normalised = athenaRequestToken(token);

      // Assess
      expect(normalised.length).toBeGreaterThanOrEqual(32);
      expect(normalised.length).toBeLessThanOrEqual(128);
      expect(normalised).toMatch(/^[A-Za-z0-9._-]+$/);
    });

    it('returns its safe characters and the SHA-256 of the whole token when the token is short', () => {
      // Prepare
      const sha256 = createHash('sha256').update('run-1').digest('hex');

      // Act / Assess
      expect(athenaRequestToken('run-1')).toBe(`run-1-${sha256}`);
      expect(athenaRequestToken('run-1')).toBe(athenaRequestToken('run-1'));
    });

    it('returns different tokens when the inputs differ only in characters that are replaced', () => {
      // Act / Assess
      expect(athenaRequestToken('run:1/features')).not.toBe(athenaRequestToken('run/1:features'));
      expect(athenaRequestToken('x'.repeat(200))).not.toBe(athenaRequestToken(`${'x'.repeat(199)}y`));
    });
  });
});
