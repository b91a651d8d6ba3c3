import {
  InvokeEndpointCommand,
  ModelError,
  ModelNotReadyException,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { EndpointInvocationError, SageMakerInvoker } from '../../../aws/adapters/sagemaker-invoker.js';
import { TransientServiceError } from '../../../core/errors.js';

const runtime = mockClient(SageMakerRuntimeClient);

const ENDPOINT = 'sluice-dev-churn';
const REQUEST = { contentType: 'text/csv', accept: 'text/csv', body: '1,0,34,56.95,1889.5\n0,1,2,53.85,108.15' };
const LOG_STREAM = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/sluice-dev-churn';

describe('SageMakerInvoker', () => {
  const invoker = new SageMakerInvoker(new SageMakerRuntimeClient({ region: 'eu-west-1' }));

  beforeEach(() => {
    runtime.reset();
  });

  describe('a model that answers', () => {
    it('sends the endpoint, content type, accept and body and decodes the answer when the model answers', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv; charset=utf-8', Body: Uint8ArrayBlobAdapter.fromString('0.0731,0.8123') });

      // Act
      const response = await invoker.invoke(ENDPOINT, REQUEST);

      // Assess
      expect(response).toEqual({ contentType: 'text/csv; charset=utf-8', body: '0.0731,0.8123' });
      expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
      expect(runtime.commandCalls(InvokeEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: ENDPOINT,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        Body: REQUEST.body,
      });
    });

    it('decodes the body as UTF-8 when the answer holds non-ASCII text', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'application/json', Body: Uint8ArrayBlobAdapter.fromString('{"predictions":[{"label":"résilié"}]}') });

      // Act
      const response = await invoker.invoke(ENDPOINT, { ...REQUEST, accept: 'application/json' });

      // Assess
      expect(response.body).toBe('{"predictions":[{"label":"résilié"}]}');
    });

    it('returns the requested accept type and an empty body when the answer has neither', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({});

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).resolves.toEqual({ contentType: 'text/csv', body: '' });
    });
  });

  describe('a model or endpoint that fails', () => {
    it('throws EndpointInvocationError with the container status, message and log stream when the model answers an error', async () => {
      // Prepare
      const modelError = new ModelError({
        message: 'Received client error (415) from primary with message "Loading csv data failed". See the log stream for more information.',
        $metadata: { httpStatusCode: 424 },
        OriginalStatusCode: 415,
        OriginalMessage: 'Loading csv data failed with Exception, please ensure data is in csv format',
        LogStreamArn: LOG_STREAM,
      });
      runtime.on(InvokeEndpointCommand).rejects(modelError);

      // Act
      const error: unknown = await invoker.invoke(ENDPOINT, REQUEST).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(EndpointInvocationError);
      expect(error).toMatchObject({
        name: 'EndpointInvocationError',
        retryable: false,
        statusCode: 415,
        originalMessage: 'Loading csv data failed with Exception, please ensure data is in csv format',
        logStreamArn: LOG_STREAM,
        message: `The model behind endpoint ${ENDPOINT} answered status 415: Loading csv data failed with Exception, please ensure data is in csv format`,
      });
      expect((error as Error).cause).toBe(modelError);
    });

    it('uses the SageMaker message when the model error carries no original message', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).rejects(new ModelError({ message: 'Model error', $metadata: {} }));

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).rejects.toThrow(`The model behind endpoint ${ENDPOINT} answered an error: Model error`);
    });

    it('throws TransientServiceError when a serverless endpoint is not ready yet', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).rejects(new ModelNotReadyException({ message: 'Model is not ready', $metadata: { httpStatusCode: 429 } }));

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).rejects.toMatchObject({ name: 'TransientServiceError', retryable: true });
    });

    it.each(['ServiceUnavailable', 'InternalFailure', 'InternalDependencyException'])('throws TransientServiceError when the runtime answers %s without an HTTP status', async (name) => {
      // Prepare
      runtime.on(InvokeEndpointCommand).rejects(Object.assign(new Error(`${name} from the runtime`), { name, $metadata: {} }));

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).rejects.toMatchObject({ name: 'TransientServiceError', retryable: true });
    });

    it('throws TransientServiceError when the runtime throttles the call', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).rejects.toBeInstanceOf(TransientServiceError);
    });

    it('rethrows the SDK error unchanged when the endpoint does not exist', async () => {
      // Prepare
      const missing = new ValidationError({ message: `Endpoint ${ENDPOINT} of account 123456789012 not found.`, $metadata: { httpStatusCode: 400 } });
      runtime.on(InvokeEndpointCommand).rejects(missing);

      // Act / Assess
      await expect(invoker.invoke(ENDPOINT, REQUEST)).rejects.toBe(missing);
    });
  });
});
