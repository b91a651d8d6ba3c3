/**
 * Named errors of the local endpoint. Every `name` is a string literal (minifiers rename classes). An
 * {@link InvocationError} carries the HTTP status SageMaker's XGBoost `1.7-1` container answers with for the same
 * fault (see `README-contract.md`); the server turns it into that status with the message as a plain-text body.
 */
import { TerminalStepError } from '../../core/errors.js';

/**
 * Base of every error thrown by `local/serving`: terminal for Step Functions (a 503 while no model is loaded is for the
 * HTTP client to retry, not for a state).
 */
export class ServingError extends TerminalStepError {
  public override readonly name: string = 'ServingError';
}

/** A request the endpoint refuses; `statusCode` is the HTTP status to answer with. */
export class InvocationError extends ServingError {
  public override readonly name: string = 'InvocationError';

  public constructor(
    /** HTTP status of the answer (4xx, or 503 while no model is loaded). */
    public readonly statusCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 415: a `Content-Type` the endpoint does not read (the container answers 415 too). */
export class UnsupportedContentTypeError extends InvocationError {
  public override readonly name = 'UnsupportedContentTypeError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(415, message, options);
  }
}

/** 415: the body does not parse in its declared content type (the container answers 415 for an unparsable CSV). */
export class PayloadFormatError extends InvocationError {
  public override readonly name = 'PayloadFormatError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(415, message, options);
  }
}

/** 400: the rows do not have as many features as the model was trained on. */
export class FeatureCountError extends InvocationError {
  public override readonly name = 'FeatureCountError';

  public constructor(
    /** Features per row in the request. */
    public readonly received: number,
    /** `num_feature` of the model. */
    public readonly expected: number,
  ) {
    super(
      400,
      `Unable to evaluate payload provided: each row has ${received} feature(s), the model was trained on ${expected}` +
        (received === expected + 1 ? ' (is the label column still in the rows? send features only)' : ''),
    );
  }
}

/**
 * 400: a file's columns are not the model's features: a header that lacks some or holds others, or rows of another
 * width. The message says what was expected.
 */
export class FeatureColumnsError extends InvocationError {
  public override readonly name = 'FeatureColumnsError';

  public constructor(message: string) {
    super(400, message);
  }
}

/** 400: XGBoost refused to predict on the rows (the container's "Unable to evaluate payload provided"). */
export class PredictionFailedError extends InvocationError {
  public override readonly name = 'PredictionFailedError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(400, `Unable to evaluate payload provided: ${message}`, options);
  }

  /** The model's prediction threw `cause` (XGBoost's error): its first line is the answer's message. */
  public static fromPredictError(cause: unknown): PredictionFailedError {
    const message = cause instanceof Error ? cause.message : String(cause);
    const end = message.indexOf('\n');
    return new PredictionFailedError((end === -1 ? message : message.slice(0, end)).trim(), { cause });
  }
}

/** 406: no media type in `Accept` that the endpoint can answer in. */
export class NotAcceptableError extends InvocationError {
  public override readonly name = 'NotAcceptableError';

  public constructor(message: string) {
    super(406, message);
  }
}

/** 413: the body is larger than the endpoint's maximum payload. */
export class PayloadTooLargeError extends InvocationError {
  public override readonly name = 'PayloadTooLargeError';

  public constructor(
    /** The limit in bytes. */
    public readonly maxBytes: number,
  ) {
    super(413, `Request body is larger than the maximum payload of ${maxBytes} bytes`);
  }
}

/**
 * 413: a request within the byte limit that would expand past the endpoint's size limits once read (a sparse row's
 * `shape` of 600,000,000 in an 85-byte body), refused before anything of that size is allocated.
 */
export class RequestLimitError extends InvocationError {
  public override readonly name = 'RequestLimitError';

  public constructor(message: string) {
    super(413, message);
  }
}

/** 503: no model is loaded yet (the pointer file is missing, or its model failed to load). */
export class ModelNotLoadedError extends InvocationError {
  public override readonly name = 'ModelNotLoadedError';

  public constructor(message: string) {
    super(503, message);
  }
}

/** A model pointer file is missing, is not JSON, or lacks `version` / `modelArtifact`. */
export class ModelPointerError extends ServingError {
  public override readonly name = 'ModelPointerError';
}

/**
 * A server that will not start: its endpoint has nothing to serve, or another live server serves it (`runningUrl`
 * then says where, so a launcher can use that one).
 */
export class ServeRefusedError extends ServingError {
  public override readonly name = 'ServeRefusedError';

  public constructor(
    message: string,
    /** The URL of the live server that already serves the endpoint, when that is why. */
    public readonly runningUrl?: string,
  ) {
    super(message);
  }
}

/** 400: a text request whose JSON parses but asks for something the endpoint cannot give (a `k` out of range). */
export class TextRequestError extends InvocationError {
  public override readonly name = 'TextRequestError';

  public constructor(message: string) {
    super(400, message);
  }
}
