import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCreate } from '#lib/contract/contract.ts';
import { InvalidArgument } from '#lib/errors.ts';
import { parsePreconditions } from '#lib/http/preconditions.ts';
import { routes } from '#lib/http/routes.ts';

/**
 * `parsePreconditions`: the version precondition a request states, from the body (the query
 * string for DELETE and body-less PUT) or from `If-Match`, as `docs/api.md` describes it.
 */

const routeOf = (operationId: string) => routes.find((r) => r.operationId === operationId)!;

/** The preconditions of a request to `operationId`, or the field violations it is refused with. */
function preconditionsOf(
  operationId: string,
  input: { body?: Record<string, unknown>; query?: Record<string, unknown> },
  ifMatch?: string,
) {
  try {
    return {
      parsed: parsePreconditions(
        routeOf(operationId),
        ifMatch === undefined ? {} : { 'if-match': ifMatch },
        { body: input.body ?? {}, query: input.query ?? {} },
      ),
    };
  } catch (err) {
    if (!(err instanceof InvalidArgument)) throw err;
    return { errors: err.errors };
  }
}

const id = '7c2be8b8-26d7-43b6-9994-e1dcc7594fc7';
const MALFORMED = {
  field: 'header.if-match',
  message: 'must be one strong ETag "<id>:<resourceVersion>"',
};
const DISAGREES = {
  field: 'header.if-match',
  message: 'disagrees with expectedResourceVersion/expectedId',
};

describe('a version precondition in the request', () => {
  it('is read from the body of a route that takes one, the expected id in lowercase', () => {
    // act
    const out = preconditionsOf('updateProvider', {
      body: { expectedResourceVersion: 3, expectedId: id.toUpperCase() },
      query: { expectedResourceVersion: 9 },
    });
    // assert
    expect(out).toEqual({
      parsed: { expectedResourceVersion: 3, expectedId: id, fromIfMatch: false },
    });
  });

  it.each([
    ['a DELETE', 'deleteProvider'],
    ['a body-less PUT', 'attachProvider'],
  ])('is read from the query string of %s', (_, operationId) => {
    const out = preconditionsOf(operationId, {
      body: { expectedResourceVersion: 9 },
      query: { expectedResourceVersion: 2, expectedId: id },
    });
    expect(out).toEqual({
      parsed: { expectedResourceVersion: 2, expectedId: id, fromIfMatch: false },
    });
  });

  it('is none on a read, whatever the request carries', () => {
    const out = preconditionsOf(
      'getProvider',
      { query: { expectedResourceVersion: 2 } },
      `"${id}:2"`,
    );
    expect(out).toEqual({ parsed: { fromIfMatch: false } });
  });
});

describe('If-Match', () => {
  it('states the version and id of its strong ETag, marked as from If-Match (a mismatch is 412)', () => {
    const out = preconditionsOf('updateProvider', {}, `"${id.toUpperCase()}:17"`);
    expect(out).toEqual({
      parsed: { expectedResourceVersion: 17, expectedId: id, fromIfMatch: true },
    });
  });

  it('is read from the header of a DELETE as of any other write, surrounding spaces ignored', () => {
    const out = preconditionsOf('deleteProvider', {}, `  "${id}:4" `);
    expect(out).toEqual({
      parsed: { expectedResourceVersion: 4, expectedId: id, fromIfMatch: true },
    });
  });

  it('* states nothing: the body’s precondition, if any, stands', () => {
    expect(preconditionsOf('updateProvider', {}, '*')).toEqual({
      parsed: { expectedResourceVersion: undefined, expectedId: undefined, fromIfMatch: false },
    });
    expect(
      preconditionsOf('updateProvider', { body: { expectedResourceVersion: 5 } }, '*'),
    ).toEqual({
      parsed: { expectedResourceVersion: 5, expectedId: undefined, fromIfMatch: false },
    });
  });

  it.each([
    ['a weak ETag', `W/"${id}:1"`],
    ['an unquoted ETag', `${id}:1`],
    ['two ETags', `"${id}:1", "${id}:2"`],
    ['an ETag without a version', `"${id}"`],
    ['version 0', `"${id}:0"`],
    ['a version with a leading zero', `"${id}:01"`],
    ['a version past 2^53', `"${id}:9007199254740993"`],
    ['an id that is no UUID', '"provider#p:1"'],
    ['an empty header', ''],
  ])('with %s is 400 naming the header', (_, header) => {
    expect(preconditionsOf('updateProvider', {}, header)).toEqual({ errors: [MALFORMED] });
  });

  it('agreeing with the body’s precondition is taken; disagreeing is 400 naming the header', () => {
    // act
    const agrees = preconditionsOf(
      'updateProvider',
      { body: { expectedResourceVersion: 3, expectedId: id } },
      `"${id}:3"`,
    );
    const anyVersion = preconditionsOf(
      'updateProvider',
      { body: { expectedResourceVersion: 0 } },
      `"${id}:3"`,
    );
    const otherVersion = preconditionsOf(
      'updateProvider',
      { body: { expectedResourceVersion: 2 } },
      `"${id}:3"`,
    );
    const otherId = preconditionsOf(
      'deleteProvider',
      { query: { expectedId: randomUUID() } },
      `"${id}:3"`,
    );
    // assert
    expect(agrees).toEqual({
      parsed: { expectedResourceVersion: 3, expectedId: id, fromIfMatch: true },
    });
    expect(anyVersion).toEqual({
      parsed: { expectedResourceVersion: 3, expectedId: id, fromIfMatch: true },
    });
    expect(otherVersion).toEqual({ errors: [DISAGREES] });
    expect(otherId).toEqual({ errors: [DISAGREES] });
  });
});

describe('a create', () => {
  const creates = routes.filter(isCreate).map((r) => r.operationId);

  it('is every POST route but the actions on an object', () => {
    // An action is a verb after the object or collection it acts on (SPEC §7.3).
    const posts = routes.filter((r) => r.method === 'POST');
    const action = (path: string) => /\/(approve|reject|undo)$/.test(path);
    expect(posts.filter((r) => isCreate(r) === action(r.path)).map((r) => r.operationId)).toEqual(
      [],
    );
    expect(
      posts
        .filter((r) => !isCreate(r))
        .map((r) => r.operationId)
        .sort(),
    ).toEqual([
      'approvePolicyDraft',
      'approvePolicyDrafts',
      'rejectPolicyDraft',
      'undoPolicyDraft',
    ]);
  });

  it.each(creates)('%s refuses each precondition it is given, naming each', (operationId) => {
    // act
    const out = preconditionsOf(
      operationId,
      { body: { expectedResourceVersion: 7, expectedId: id } },
      `"${id}:5"`,
    );
    // assert
    const message = 'must not be set when creating an object';
    expect(out).toEqual({
      errors: [
        { field: 'body.expectedResourceVersion', message },
        { field: 'body.expectedId', message },
        { field: 'header.if-match', message },
      ],
    });
  });

  it.each(creates)(
    '%s takes If-Match: * and expectedResourceVersion 0, which state nothing',
    (operationId) => {
      const out = preconditionsOf(operationId, { body: { expectedResourceVersion: 0 } }, '*');
      expect(out).toEqual({ parsed: { fromIfMatch: false } });
    },
  );

  it('refuses a malformed If-Match as a precondition, not as a malformed ETag', () => {
    expect(preconditionsOf('createProvider', {}, 'W/"x"')).toEqual({
      errors: [{ field: 'header.if-match', message: 'must not be set when creating an object' }],
    });
  });
});
