import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { InvalidArgument, ResourceExhausted, ShellgateError, Unavailable } from '#lib/errors.ts';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

const TRANSIENT = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** A transaction refused as a whole; its `CancellationReasons` say which item and why. */
export function isTransactionCanceled(err: unknown): err is TransactionCanceledException {
  return (
    err instanceof TransactionCanceledException || errorName(err) === 'TransactionCanceledException'
  );
}

export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(errorName(err));
}

export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (TRANSIENT.has(e?.name ?? '')) return true;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * Turns what is left of an SDK failure after the SDK's own retries into a typed error:
 * throttling → RESOURCE_EXHAUSTED, outages → UNAVAILABLE. Anything else is a bug and is rethrown.
 */
export function translateSdkError(err: unknown): never {
  if (err instanceof ShellgateError) throw err;
  if (isThrottling(err)) throw new ResourceExhausted(1, { cause: err });
  // A backstop: the domain keeps objects under the item limit before writing.
  if (errorName(err) === 'ValidationException' && /item size/i.test((err as Error).message)) {
    throw new InvalidArgument([
      { field: 'body', message: 'makes the object larger than the 400 KB item limit' },
    ]);
  }
  if (isTransient(err)) throw new Unavailable(2, { cause: err });
  throw err;
}
