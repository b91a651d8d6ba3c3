import { SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import {
  awsErrorMessage,
  awsErrorName,
  callAws,
  callAwsTolerating,
  classifyAwsError,
  isAwsError,
  isSageMakerAlreadyExisting,
  isSageMakerNotFound,
} from '../../../aws/adapters/aws-errors.js';
import { ResourceLimitError, TransientServiceError } from '../../../core/errors.js';

function serviceError(name: string, message: string, httpStatusCode = 400, retryable = false): SageMakerServiceException {
  const error = new SageMakerServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
  // The SDK sets $retryable on modeled errors its retry strategy retries; the constructor does not take it.
  if (retryable) error.$retryable = {};
  return error;
}

describe('aws-errors', () => {
  describe('awsErrorName and awsErrorMessage', () => {
    it('reads the exception name and message when the error is an SDK service exception', () => {
      // Prepare
      const error = serviceError('ValidationException', 'Could not find model "m".');

      // Act / Assess
      expect(awsErrorName(error)).toBe('ValidationException');
      expect(awsErrorMessage(error)).toBe('Could not find model "m".');
    });

    it('names a network failure by its code when it is a plain Node error', () => {
      // Prepare
      const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

      // Act / Assess
      expect(awsErrorName(error)).toBe('ECONNRESET');
    });

    it('keeps the name when an error has both a specific name and a code', () => {
      // Prepare
      const error = Object.assign(new Error('slow'), { name: 'TimeoutError', code: 'ETIMEDOUT' });

      // Act / Assess
      expect(awsErrorName(error)).toBe('TimeoutError');
    });

    it('returns empty strings when the thrown value is not an object', () => {
      // Act / Assess
      expect(awsErrorName('boom')).toBe('');
      expect(awsErrorName(undefined)).toBe('');
      expect(awsErrorMessage(42)).toBe('');
    });
  });

  describe('isAwsError', () => {
    it('matches one name or any of a list when no message pattern is given', () => {
      // Prepare
      const error = Object.assign(new Error(''), { name: 'NoSuchKey' });

      // Act / Assess
      expect(isAwsError(error, 'NoSuchKey')).toBe(true);
      expect(isAwsError(error, ['NotFound', 'NoSuchKey'])).toBe(true);
      expect(isAwsError(error, ['NotFound'])).toBe(false);
    });

    it('also requires the message to match when a pattern is given', () => {
      // Prepare
      const inUse = serviceError('ResourceInUse', 'A training job with this name already exists');

      // Act / Assess
      expect(isAwsError(inUse, 'ResourceInUse', /already exists/)).toBe(true);
      expect(isAwsError(inUse, 'ResourceInUse', /must be unique/)).toBe(false);
      expect(isAwsError(inUse, 'ValidationException', /already exists/)).toBe(false);
    });
  });

  describe('SageMaker not found and already existing', () => {
    it.each([
      ['a ValidationException says it could not find the resource', serviceError('ValidationException', 'Could not find endpoint "arn:x".'), true],
      ['the API answers ResourceNotFound', serviceError('ResourceNotFound', 'Model package not found'), true],
      ['a ValidationException says something else', serviceError('ValidationException', 'Could not access model data at s3://b/k.'), false],
    ])('tells not found %s', (_case, error, expected) => {
      // Act / Assess
      expect(isSageMakerNotFound(error)).toBe(expected);
    });

    it.each([
      ['a ValidationException says the model already exists', serviceError('ValidationException', 'Cannot create already existing model "arn:x".'), true],
      ['ResourceInUse says it already exists', serviceError('ResourceInUse', 'Endpoint config already exists'), true],
      ['a ValidationException is about something else', serviceError('ValidationException', 'Invalid instance type'), false],
      ['the name is not a SageMaker validation error', serviceError('ThrottlingException', 'already exists'), false],
    ])('tells already existing when %s', (_case, error, expected) => {
      // Act / Assess
      expect(isSageMakerAlreadyExisting(error)).toBe(expected);
    });
  });

  describe('classifyAwsError', () => {
    it.each([
      ['a throttle', serviceError('ThrottlingException', 'Rate exceeded')],
      ['a 5xx', serviceError('InternalFailure', 'We encountered an internal error', 503)],
      ['an error the SDK marks retryable', serviceError('SomethingTransient', 'try again', 400, true)],
      ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ])('returns TransientServiceError with the cause kept when the error is %s', (_case, error) => {
      // Act
      const classified = classifyAwsError(error, 'DescribeEndpoint e');

      // Assess
      expect(classified).toBeInstanceOf(TransientServiceError);
      expect((classified as TransientServiceError).cause).toBe(error);
    });

    it('says which call failed, with the exception name and message, when it maps a throttle', () => {
      // Act
      const classified = classifyAwsError(serviceError('ThrottlingException', 'Rate exceeded'), 'ListModels sluice-dev-churn');

      // Assess
      expect((classified as Error).message).toBe('ListModels sluice-dev-churn failed for now (ThrottlingException): Rate exceeded');
    });

    it('returns ResourceLimitError when SageMaker answers ResourceLimitExceeded', () => {
      // Act
      const classified = classifyAwsError(serviceError('ResourceLimitExceeded', 'The account-level service limit is 2 instances'), 'CreateTrainingJob j');

      // Assess
      expect(classified).toBeInstanceOf(ResourceLimitError);
      expect((classified as Error).message).toBe('CreateTrainingJob j hit a SageMaker limit (ResourceLimitExceeded): The account-level service limit is 2 instances');
    });

    it('returns TransientServiceError when the name is one of the service-specific transient names', () => {
      // Prepare
      const error = serviceError('OperationTimeoutException', 'timed out');

      // Act / Assess
      expect(classifyAwsError(error, 'StartCrawler c')).toBe(error);
      expect(classifyAwsError(error, 'StartCrawler c', { transientNames: ['OperationTimeoutException'] })).toBeInstanceOf(TransientServiceError);
    });

    it('returns the error itself when it is neither transient nor a limit', () => {
      // Prepare
      const error = serviceError('ValidationException', 'Invalid instance type');

      // Act / Assess
      expect(classifyAwsError(error, 'CreateEndpointConfig c')).toBe(error);
      expect(classifyAwsError('boom', 'CreateEndpointConfig c')).toBe('boom');
    });
  });

  describe('callAws and callAwsTolerating', () => {
    it('returns what the call returns when it succeeds', async () => {
      // Act / Assess
      await expect(callAws('DescribeEndpoint e', () => Promise.resolve('out'))).resolves.toBe('out');
      await expect(callAwsTolerating('DescribeEndpoint e', () => Promise.resolve('out'), () => true)).resolves.toBe('out');
    });

    it('throws the classified error when the call fails', async () => {
      // Act / Assess
      await expect(callAws('DescribeEndpoint e', () => Promise.reject(serviceError('ThrottlingException', 'Rate exceeded')))).rejects.toBeInstanceOf(
        TransientServiceError,
      );
    });

    it('resolves to undefined when the failure is tolerated', async () => {
      // Act / Assess
      await expect(
        callAwsTolerating('DeleteModel m', () => Promise.reject(serviceError('ValidationException', 'Could not find model "m".')), isSageMakerNotFound),
      ).resolves.toBeUndefined();
    });

    it('throws the classified error when the failure is not tolerated', async () => {
      // Prepare
      const refused = serviceError('ValidationException', 'Invalid instance type');

      // Act / Assess
      await expect(callAwsTolerating('DeleteModel m', () => Promise.reject(refused), isSageMakerNotFound)).rejects.toBe(refused);
      await expect(
        callAwsTolerating('DeleteModel m', () => Promise.reject(serviceError('ThrottlingException', 'Rate exceeded')), isSageMakerNotFound),
      ).rejects.toBeInstanceOf(TransientServiceError);
    });
  });
});
