import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '#lib/errors.ts';
import { parseBody } from '#lib/http/body.ts';
import type { HttpEvent } from '#lib/http/event.ts';
import { routes } from '#lib/http/routes.ts';
import { matchRoute, toApiGatewayEvent } from '#local/event.ts';

/** The event API Gateway passes for `method path` with this body, text or base64-encoded. */
function eventOf(method: string, path: string, body: string | Buffer): HttpEvent {
  const event = toApiGatewayEvent(
    { method, path, rawQueryString: '', headers: { 'content-type': 'application/json' }, body: '' },
    matchRoute(method, path),
    { sub: 'test' },
  );
  return typeof body === 'string'
    ? { ...event, body, isBase64Encoded: false }
    : { ...event, body: body.toString('base64'), isBase64Encoded: true };
}

const routeOf = (operationId: string) => routes.find((r) => r.operationId === operationId)!;

/** The field violations parseBody throws, or what it returned. */
function violationsOf(operationId: string, event: HttpEvent) {
  try {
    return { parsed: parseBody(routeOf(operationId), event) };
  } catch (err) {
    if (!(err instanceof InvalidArgument)) throw err;
    return { errors: err.errors };
  }
}

describe('a base64-encoded body', () => {
  it('is decoded when it is UTF-8', () => {
    // arrange
    const event = eventOf('PATCH', '/v1/providers/p', Buffer.from('{"config":{"k":"añ✓"}}'));
    // act
    const out = violationsOf('updateProvider', event);
    // assert
    expect(out).toEqual({ parsed: { config: { k: 'añ✓' } } });
  });

  it('is 400 naming body when its bytes are not UTF-8, never U+FFFD', () => {
    // arrange: `{"config":{"k":"a\xff\xfe"}}`
    const bytes = Buffer.concat([
      Buffer.from('{"config":{"k":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    // act
    const out = violationsOf('updateProvider', eventOf('PATCH', '/v1/providers/p', bytes));
    // assert
    expect(out).toEqual({ errors: [{ field: 'body', message: 'is not valid UTF-8' }] });
  });

  it.each([
    ['a truncated sequence', [0x22, 0xe2, 0x9c, 0x22]],
    ['an overlong encoding', [0x22, 0xc0, 0xaf, 0x22]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ])('is 400 for %s', (_, tail) => {
    const bytes = Buffer.concat([
      Buffer.from('{"config":{"k":'),
      Buffer.from(tail),
      Buffer.from('}}'),
    ]);
    const out = violationsOf('updateProvider', eventOf('PATCH', '/v1/providers/p', bytes));
    expect(out.errors).toEqual([{ field: 'body', message: 'is not valid UTF-8' }]);
  });

  it('keeps a byte order mark, which is no JSON, as the text body does', () => {
    const bom = Buffer.from('\ufeff{"config":{"k":"v"}}');
    const asBytes = violationsOf('updateProvider', eventOf('PATCH', '/v1/providers/p', bom));
    const asText = violationsOf(
      'updateProvider',
      eventOf('PATCH', '/v1/providers/p', bom.toString()),
    );
    expect(asBytes).toEqual(asText);
    expect(asBytes.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });
});

describe('an empty key anywhere in a body', () => {
  it.each([
    [
      'inside a policy',
      'putPolicy',
      'PUT',
      '/v1/sandboxes/b/config/policy',
      { policy: { a: { '': 1 } } },
      'body.policy.a',
    ],
    [
      'in a list item',
      'putPolicy',
      'PUT',
      '/v1/sandboxes/b/config/policy',
      { policy: { l: [{ '': 1 }] } },
      'body.policy.l.0',
    ],
    ['at the top', 'updateProvider', 'PATCH', '/v1/providers/p', { '': 'x' }, 'body'],
    [
      'as a credential name',
      'updateProvider',
      'PATCH',
      '/v1/providers/p',
      { credentials: { '': 's' } },
      'body.credentials',
    ],
  ])('%s is 400 naming the object that has it', (_, operationId, method, path, body, field) => {
    // act
    const out = violationsOf(operationId, eventOf(method, path, JSON.stringify(body)));
    // assert
    expect(out.errors).toEqual([{ field, message: 'has an empty key' }]);
  });

  it('is reported for each object that has one, next to other violations', () => {
    const body = { policy: { a: { '': 1, b: { '': 2 } }, __proto__x: '\ud800' } };
    const out = violationsOf(
      'putPolicy',
      eventOf('PUT', '/v1/sandboxes/b/config/policy', JSON.stringify(body)),
    );
    expect(out.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.policy.a', message: 'has an empty key' },
        { field: 'body.policy.a.b', message: 'has an empty key' },
        { field: 'body.policy.__proto__x', message: 'is not well-formed Unicode' },
      ]),
    );
    expect(out.errors).toHaveLength(3);
  });
});
