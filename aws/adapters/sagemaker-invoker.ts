import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { TerminalStepError } from '../../core/errors.js';
import type { EndpointInvoker } from '../../core/ports/model-hosting.js';
import { classifyAwsError, isAwsError } from './aws-errors.js';

/** What the model container answered when it refused or failed a request (InvokeEndpoint's ModelError). */
export interface ModelErrorDetails {
  /** The HTTP status the container returned. */
  statusCode?: number;
  /** The body the container returned. */
  originalMessage?: string;
  /** The CloudWatch log stream of the container that served the request. */
  logStreamArn?: string;
}

/**
 * The served model answered an invocation with an error (a 4xx or 5xx from the container): the request or the model
 * is wrong, and sending it again will not change that.
 */
export class EndpointInvocationError extends TerminalStepError {
  public override readonly name = 'EndpointInvocationError';
  /** The HTTP status the container returned, when SageMaker passed it on. */
  public readonly statusCode: number | undefined;
  /** The container's own error message, when SageMaker passed it on. */
  public readonly originalMessage: string | undefined;
  /** Where the container's logs are, when SageMaker passed it on. */
  public readonly logStreamArn: string | undefined;

  public constructor(message: string, details: ModelErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = details.statusCode;
    this.originalMessage = details.originalMessage;
    this.logStreamArn = details.logStreamArn;
  }
}

/**
 * Invokes a SageMaker endpoint through the SageMaker Runtime; the address is the endpoint name. The response body is
 * decoded as UTF-8 text (the XGBoost container answers CSV or JSON).
 *
 * - ModelError (the container answered 4xx or 5xx) becomes EndpointInvocationError, with the container's status and
 *   message.
 * - ModelNotReadyException ("a serverless endpoint variant's resources are still being provisioned ... Wait and try
 *   your request again", SageMaker Runtime API reference), ServiceUnavailable, InternalFailure,
 *   InternalDependencyException and throttling or 5xx answers become TransientServiceError, which SmokeTest passes on
 *   to the ASL's Retry.
 * - Anything else (ValidationError for an unknown endpoint, say) is rethrown as it is.
 */
export class SageMakerInvoker implements EndpointInvoker {
  public constructor(private readonly runtime: SageMakerRuntimeClient) {}

  public async invoke(address: string, request: { contentType: string; accept: string; body: string }): Promise<{ contentType: string; body: string }> {
    const action = `InvokeEndpoint ${address}`;
    try {
      const out = await this.runtime.send(
        new InvokeEndpointCommand({ EndpointName: address, ContentType: request.contentType, Accept: request.accept, Body: request.body }),
      );
      return {
        contentType: out.ContentType ?? request.accept,
        // Body is a Uint8Array (the SDK's blob adapter extends it); a 204 from the container has none.
        body: out.Body ? new TextDecoder('utf-8').decode(out.Body) : '',
      };
    } catch (error) {
      throw invocationError(error, action, address);
    }
  }
}

const RETRYABLE_INVOKE_ERRORS: readonly string[] = ['ModelNotReadyException', 'ServiceUnavailable', 'InternalFailure', 'InternalDependencyException'];

function invocationError(error: unknown, action: string, address: string): unknown {
  if (typeof error !== 'object' || error === null) return error;
  if (isAwsError(error, 'ModelError')) {
    const fields = error as { OriginalStatusCode?: unknown; OriginalMessage?: unknown; LogStreamArn?: unknown; message?: unknown };
    const details: ModelErrorDetails = {
      ...(typeof fields.OriginalStatusCode === 'number' ? { statusCode: fields.OriginalStatusCode } : {}),
      ...(typeof fields.OriginalMessage === 'string' ? { originalMessage: fields.OriginalMessage } : {}),
      ...(typeof fields.LogStreamArn === 'string' ? { logStreamArn: fields.LogStreamArn } : {}),
    };
    const said = details.originalMessage ?? (typeof fields.message === 'string' ? fields.message : 'no message');
    const status = details.statusCode === undefined ? 'an error' : `status ${details.statusCode}`;
    return new EndpointInvocationError(`The model behind endpoint ${address} answered ${status}: ${said}`, details, { cause: error });
  }
  // InvokeEndpoint's errors (SageMaker Runtime API reference, InvokeEndpoint "Errors"; the SDKs' SageMakerRuntime
  // exceptions): ModelNotReadyException (429, "a serverless endpoint variant's resources are still being provisioned,
  // or a multi-model endpoint is still downloading or loading the target model. Wait and try your request again"),
  // ServiceUnavailable (503, "Try your call again"), InternalFailure (500) and InternalDependencyException (530) pass
  // on their own; named here so they are retried even when the HTTP status is missing. ValidationError is the caller's.
  return classifyAwsError(error, action, { transientNames: RETRYABLE_INVOKE_ERRORS });
}
