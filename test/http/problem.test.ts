import { describe, expect, it } from 'vitest';
import { Kind, keys } from '#lib/domain/keys.ts';
import type { ProviderData } from '#lib/domain/types.ts';
import {
  Aborted,
  AlreadyExists,
  ERROR_CODES,
  FailedPrecondition,
  IdempotencyMismatch,
  Internal,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  type ShellgateError,
  Unauthenticated,
  Unavailable,
} from '#lib/errors.ts';
import { HttpRejection, methodNotAllowed, problemResponse } from '#lib/http/problem.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { internalLeaks, problemShapeErrors, STATUSES_OF_CODE } from '#test/support/problems.ts';

/** `problemResponse`: the one place an error becomes an HTTP answer (RFC 9457 problem+json). */

const OPTIONS = { instance: '/v1/providers/p', requestId: 'req-1' };

/** The answer to `err`, its body parsed, as the problem checks read it. */
function answerTo(err: unknown, ifMatch?: boolean) {
  const res = problemResponse(err, { ...OPTIONS, ifMatch });
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) };
}

const provider: StoredObject<ProviderData> = {
  key: keys.provider('p'),
  kind: Kind.Provider,
  name: 'p',
  id: '7c2be8b8-26d7-43b6-9994-e1dcc7594fc7',
  resourceVersion: 4,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-02T00:00:00.000Z',
  labels: {},
  data: { type: 'openai', credentials: { API_KEY: 'sk-problem-secret-1' }, config: {} },
};

/** One error of each code, as the layers below raise them. */
const ONE_OF_EACH: Record<string, ShellgateError> = {
  INVALID_ARGUMENT: new InvalidArgument([{ field: 'body.name', message: 'is required' }]),
  UNAUTHENTICATED: new Unauthenticated(),
  PERMISSION_DENIED: new PermissionDenied('provider:write'),
  NOT_FOUND: new NotFound(Kind.Provider, 'p'),
  ALREADY_EXISTS: new AlreadyExists(Kind.Provider, 'p', provider),
  ABORTED: new Aborted(Kind.Provider, 'p', 4, provider),
  FAILED_PRECONDITION: new FailedPrecondition('sandbox s lists provider p.'),
  IDEMPOTENCY_MISMATCH: new IdempotencyMismatch(),
  RESOURCE_EXHAUSTED: new ResourceExhausted(2),
  UNAVAILABLE: new Unavailable(3),
  INTERNAL: new Internal('the store returned no item'),
};

describe('an error of each code', () => {
  it('covers every code there is', () => {
    expect(Object.keys(ONE_OF_EACH).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(Object.entries(ONE_OF_EACH))('%s: a well-formed problem with its status', (code, err) => {
    // act
    const res = answerTo(err);
    // assert
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.body.code).toBe(code);
    expect(res.status).toBe(STATUSES_OF_CODE[code]![0]);
    expect(res.body).toMatchObject({ instance: OPTIONS.instance, requestId: OPTIONS.requestId });
    expect(internalLeaks(JSON.stringify(res))).toEqual([]);
  });
});

describe('what a problem carries besides its code', () => {
  it('INVALID_ARGUMENT: every field violation', () => {
    const errors = [
      { field: 'body.name', message: 'is required' },
      { field: 'query.pageSize', message: 'must be at most 1000' },
    ];
    expect(answerTo(new InvalidArgument(errors)).body.errors).toEqual(errors);
  });

  it('ABORTED: 409 with the current version and object, rendered as a read shows it', () => {
    // act
    const res = answerTo(new Aborted(Kind.Provider, 'p', 4, provider));
    // assert
    expect(res.status).toBe(409);
    expect(res.body.currentResourceVersion).toBe(4);
    expect(res.body.current).toEqual({
      metadata: {
        id: provider.id,
        name: 'p',
        resourceVersion: 4,
        createdAt: provider.createdAt,
        updatedAt: provider.updatedAt,
        labels: {},
      },
      type: 'openai',
      credentials: { API_KEY: 'REDACTED' },
      config: {},
    });
    expect(JSON.stringify(res)).not.toContain('sk-problem-secret-1');
  });

  it('ABORTED after an If-Match precondition: 412; any other code keeps its status', () => {
    expect(answerTo(new Aborted(Kind.Provider, 'p', 4, provider), true).status).toBe(412);
    expect(answerTo(new Aborted(Kind.Provider, 'p', 4, undefined), true).body).not.toHaveProperty(
      'current',
    );
    expect(answerTo(new FailedPrecondition('no'), true).status).toBe(409);
    expect(answerTo(new NotFound(Kind.Provider, 'p'), true).status).toBe(404);
  });

  it('ALREADY_EXISTS: never the object that holds the name', () => {
    const res = answerTo(new AlreadyExists(Kind.Provider, 'p', provider));
    expect(res.body).not.toHaveProperty('current');
    expect(JSON.stringify(res)).not.toContain(provider.id);
  });

  it('FAILED_PRECONDITION: its details when it has some, else no details member', () => {
    const withDetails = answerTo(new FailedPrecondition('listed', { sandboxes: ['s1', 's2'] }));
    expect(withDetails.body.details).toEqual({ sandboxes: ['s1', 's2'] });
    expect(answerTo(new FailedPrecondition('listed')).body).not.toHaveProperty('details');
  });

  it('RESOURCE_EXHAUSTED and UNAVAILABLE: Retry-After in seconds', () => {
    expect(answerTo(new ResourceExhausted(2)).headers['retry-after']).toBe('2');
    expect(answerTo(new Unavailable(3)).headers['retry-after']).toBe('3');
    expect(answerTo(new NotFound(Kind.Provider, 'p')).headers).not.toHaveProperty('retry-after');
  });
});

describe('a request-level rejection', () => {
  it.each([
    [413, new HttpRejection(413, 'body', 'must be at most 524288 bytes')],
    [415, new HttpRejection(415, 'header.content-type', 'must be application/json')],
  ])('%s: its own status, INVALID_ARGUMENT naming the field', (status, err) => {
    const res = answerTo(err);
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.status).toBe(status);
    expect(res.body.errors).toEqual(err.errors);
  });

  it('405: Allow lists the methods the path serves', () => {
    // act
    const res = answerTo(methodNotAllowed('DELETE', '/v1/providers', ['GET', 'HEAD', 'POST']));
    // assert
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.body.errors).toEqual([
      { field: 'method', message: 'DELETE is not served on /v1/providers' },
    ]);
  });

  it('cannot replace the problem’s content type with a header of its own', () => {
    const err = new HttpRejection(415, 'header.content-type', 'no', {
      'content-type': 'text/html',
    });
    expect(answerTo(err).headers['content-type']).toBe('application/problem+json');
  });
});

describe('an error that is none of ours', () => {
  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'pk')")],
    [
      'an SDK error',
      Object.assign(
        new Error('One or more parameter values were invalid: ExpressionAttributeValues'),
        {
          name: 'ValidationException',
          $metadata: { httpStatusCode: 400 },
        },
      ),
    ],
    ['a thrown string', 'table shellgate-test-0123abcd is gone'],
    ['an INTERNAL error with a message', new Internal('provider#p has no resource_version')],
  ])('%s: 500 INTERNAL that names nothing of it', (_, err) => {
    // act
    const res = answerTo(err);
    // assert
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('INTERNAL');
    expect(res.body.detail).toBe('An internal error occurred.');
    expect(internalLeaks(JSON.stringify(res))).toEqual([]);
  });
});
