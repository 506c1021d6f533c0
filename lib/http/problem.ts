import { renderObject } from '#lib/api/views.ts';
import {
  Aborted,
  type ErrorCode,
  FailedPrecondition,
  InvalidArgument,
  ResourceExhausted,
  ShellgateError,
  Unavailable,
} from '#lib/errors.ts';
import type { StoredObject } from '#lib/store/types.ts';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  FAILED_PRECONDITION: 409,
  IDEMPOTENCY_MISMATCH: 422,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TITLES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'Invalid argument',
  UNAUTHENTICATED: 'Unauthenticated',
  PERMISSION_DENIED: 'Permission denied',
  NOT_FOUND: 'Not found',
  ALREADY_EXISTS: 'Already exists',
  ABORTED: 'Aborted',
  FAILED_PRECONDITION: 'Failed precondition',
  IDEMPOTENCY_MISMATCH: 'Idempotency key reused',
  RESOURCE_EXHAUSTED: 'Resource exhausted',
  UNAVAILABLE: 'Unavailable',
  INTERNAL: 'Internal error',
};

/** A request-level rejection with its own HTTP status (415, 413, 405) and headers. */
export class HttpRejection extends InvalidArgument {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  constructor(
    statusCode: number,
    field: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super([{ field, message }], message);
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

/** A known path asked with a method it does not serve: 405 with `Allow` (RFC 9110 §15.5.6). */
export function methodNotAllowed(method: string, path: string, allowed: readonly string[]) {
  return new HttpRejection(405, 'method', `${method} is not served on ${path}`, {
    allow: allowed.join(', '),
  });
}

export interface ProblemOptions {
  instance: string;
  requestId: string;
  /** The version precondition came in If-Match: a mismatch is 412. */
  ifMatch?: boolean;
}

/**
 * The one place errors become responses: RFC 9457 problem+json with a `code`. Unknown errors
 * are INTERNAL with a body that says nothing about internals.
 */
export function problemResponse(err: unknown, opts: ProblemOptions): HttpResponse {
  const known = err instanceof ShellgateError ? err : undefined;
  const code: ErrorCode = known?.code ?? 'INTERNAL';
  let status = err instanceof HttpRejection ? err.statusCode : STATUS[code];
  if (code === 'ABORTED' && opts.ifMatch) status = 412;
  const body: Record<string, unknown> = {
    type: `urn:shellgate:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[code],
    status,
    detail: known && code !== 'INTERNAL' ? known.message : 'An internal error occurred.',
    code,
    instance: opts.instance,
    requestId: opts.requestId,
  };
  const headers: Record<string, string> = {
    ...(err instanceof HttpRejection ? err.headers : {}),
    'content-type': 'application/problem+json',
  };
  if (err instanceof InvalidArgument) body.errors = err.errors;
  if (err instanceof Aborted) {
    body.currentResourceVersion = err.currentResourceVersion;
    if (err.current) body.current = renderObject(err.current as StoredObject<unknown>);
  }
  if (err instanceof FailedPrecondition && Object.keys(err.details).length) {
    body.details = err.details;
  }
  if (err instanceof ResourceExhausted || err instanceof Unavailable) {
    headers['retry-after'] = String(err.retryAfterSeconds);
  }
  return { statusCode: status, headers, body: JSON.stringify(body) };
}
