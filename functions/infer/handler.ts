import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { inferDeps } from '../../aws/wiring/infer.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { inferRawRecords, InferenceRequestError } from '../../core/serving/infer-raw-records.js';
import { RawRecordError } from '../../core/serving/raw-records.js';

const deps = inferDeps(loadRuntimeConfig());

/**
 * Raw-record inference behind a Lambda function URL (AuthType AWS_IAM): `POST /<pipeline>` with the contract's
 * columns as JSON or CSV with a header; answers `{"predictions": [...]}` with the user's labels. A function URL passes
 * the request as the API Gateway HTTP API payload version 2.0 and reads a `{statusCode, headers, body}` result
 * (Lambda developer guide, "Invoking Lambda function URLs": request and response payloads).
 */
export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  if (event.requestContext.http.method !== 'POST') return text(405, 'POST raw records to /<pipeline>');
  const pipeline = event.rawPath.replace(/^\/+|\/+$/g, '');
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const result = await inferRawRecords({ pipeline, contentType: event.headers['content-type'], body }, deps);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ predictions: result.predictions }) };
  } catch (error) {
    // The caller's mistakes are answered, not thrown: a thrown error would be logged as the function's failure.
    if (error instanceof RawRecordError) return text(400, error.message);
    if (error instanceof InferenceRequestError) return text(error.statusCode, error.message);
    throw error;
  }
}).use(withStepDefaults('Infer'));

function text(statusCode: number, message: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}
