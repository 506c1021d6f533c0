import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionName } from '#lib/contract/index.ts';
import { createHttpHandler } from '#lib/http/handler.ts';
import { routeGroups } from '#lib/http/routes.ts';
import { localContext, matchRoute, toApiGatewayEvent } from '#local/event.ts';
import { createOfflineApi } from '#test/support/api.ts';
import { internalLeaks, problemShapeErrors } from '#test/support/problems.ts';
import { unreachableStore } from '#test/support/store.ts';

/**
 * The handler pipeline (`lib/http/handler.ts`) over the real route table and a store no request
 * reaches: what it parses, refuses and answers before the database is asked anything.
 */

const { call } = createOfflineApi();

const { store, reached } = unreachableStore();
const handlers = Object.fromEntries(
  Object.values(routeGroups).map((group) => [group.fn, createHttpHandler(group, { store })]),
) as Record<FunctionName, ReturnType<typeof createHttpHandler>>;
afterEach(() => {
  reached.length = 0;
});

const ALL = { sub: 'handler-test', scope: 'shellgate:all' };

/**
 * Invokes the function API Gateway would route `method path` to, with the event it would pass:
 * `body` as sent, the token's `claims` (none: no token). The answer's body is parsed.
 */
async function invoke(
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string>; claims?: Record<string, string> } = {},
) {
  const [p = '', q = ''] = path.split('?');
  const match = matchRoute(method, p);
  const event = toApiGatewayEvent(
    { method, path: p, rawQueryString: q, headers: opts.headers ?? {}, body: opts.body ?? '' },
    match,
    'claims' in opts ? opts.claims : ALL,
  );
  const fn = match?.route.fn ?? 'meta';
  const res = await handlers[fn](event, localContext(fn));
  const json = res.headers['content-type']?.includes('json') && res.body !== '';
  return {
    event,
    text: res.body,
    status: res.statusCode,
    headers: res.headers,
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the handler answered.
    body: (json ? JSON.parse(res.body) : undefined) as any,
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('requests', () => {
  it('bad input is a 400 naming each field and writes nothing', async () => {
    const res = await call('POST', '/v1/providers', {
      body: { name: 'Bad_Name', type: 'x', credentials: {}, extra: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.credentials', 'body']));
    expect((await call('GET', '/v1/providers/Bad_Name')).status).toBe(400);
  });

  it('malformed JSON is 400, a wrong content type 415, an unknown route 404', async () => {
    expect((await call('POST', '/v1/providers', { rawBody: '{"name":' })).status).toBe(400);
    const wrongType = await call('POST', '/v1/providers', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect((await call('GET', '/v1/nothing-here')).status).toBe(404);
  });
});

describe('the path, the query and the body', () => {
  it('a path parameter is URL-decoded, then checked: 400 naming it, nothing read', async () => {
    // act
    const res = await invoke('GET', '/v1/providers/..%2F..%2Fetc');
    // assert
    expect(res.status).toBe(400);
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.body.errors).toEqual([{ field: 'path.name', message: expect.any(String) }]);
    expect(res.body.detail).toContain('path.name');
    expect(reached).toEqual([]);
  });

  it('a query parameter the route does not take is 400 naming it', async () => {
    const noQuery = await invoke('GET', '/v1/providers/p?verbose=1');
    const strictQuery = await invoke('GET', '/v1/providers?verbose=1');
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.errors).toEqual([
      { field: 'query.verbose', message: 'is not a parameter of this route' },
    ]);
    expect(strictQuery.status).toBe(400);
    expect(strictQuery.body.errors).toEqual([
      { field: 'query', message: 'unknown field(s): verbose' },
    ]);
    expect(reached).toEqual([]);
  });

  it('a query value its schema refuses is 400 naming it, a precondition of a DELETE too', async () => {
    const pageSize = await invoke('GET', '/v1/providers?pageSize=0');
    const version = await invoke('DELETE', '/v1/providers/p?expectedResourceVersion=one');
    expect(pageSize.status).toBe(400);
    expect(pageSize.body.errors.map((e: { field: string }) => e.field)).toEqual(['query.pageSize']);
    expect(version.status).toBe(400);
    expect(version.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'query.expectedResourceVersion',
    ]);
    expect(reached).toEqual([]);
  });

  it('violations of the path, the query and the body are reported together', async () => {
    // act
    const res = await invoke('PATCH', '/v1/providers/Bad_Name?x=1', {
      body: JSON.stringify({ type: 'Not A Slug' }),
      headers: JSON_TYPE,
    });
    // assert
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'path.name',
      'query.x',
      'body.type',
    ]);
    expect(reached).toEqual([]);
  });

  it.each([
    ['an array', '[{"config":{}}]'],
    ['null', 'null'],
    ['a string', '"config"'],
    ['a number', '1'],
  ])('a JSON body that is %s, not an object, is 400 naming body', async (_, body) => {
    const res = await invoke('PATCH', '/v1/providers/p', { body, headers: JSON_TYPE });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    expect(reached).toEqual([]);
  });

  it('a body sent to a route that takes none is 400 naming body', async () => {
    const onDelete = await invoke('DELETE', '/v1/providers/p', { body: '{}', headers: JSON_TYPE });
    const onRead = await invoke('GET', '/v1/providers/p', { body: ' x ' });
    for (const res of [onDelete, onRead]) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'body', message: 'this route takes no body' }]);
    }
    expect(reached).toEqual([]);
  });

  it('an empty body is an empty object and needs no content type: the schema names what is missing', async () => {
    // act
    const res = await invoke('POST', '/v1/providers', { body: '' });
    // assert: not 415
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.credentials',
      'body.type',
    ]);
    expect(reached).toEqual([]);
  });

  it('a body is JSON by its media type: JSON with parameters and +json are; anything else is 415', async () => {
    // arrange: a body the schema refuses, so that one that passes as JSON is a 400
    const body = JSON.stringify({ unknown: 1 });
    const statusWith = async (headers: Record<string, string>) =>
      (await invoke('PATCH', '/v1/providers/p', { body, headers })).status;
    // act
    const statuses = {
      json: await statusWith({ 'content-type': 'application/json' }),
      parameters: await statusWith({ 'content-type': 'Application/JSON; charset=UTF-8' }),
      mergePatch: await statusWith({ 'content-type': 'application/merge-patch+json' }),
      text: await statusWith({ 'content-type': 'text/plain' }),
      form: await statusWith({ 'content-type': 'application/x-www-form-urlencoded' }),
      none: await statusWith({}),
    };
    // assert
    expect(statuses).toEqual({
      json: 400,
      parameters: 400,
      mergePatch: 400,
      text: 415,
      form: 415,
      none: 415,
    });
    const refused = await invoke('PATCH', '/v1/providers/p', { body, headers: {} });
    expect(problemShapeErrors(refused)).toEqual([]);
    expect(refused.body.errors).toEqual([
      { field: 'header.content-type', message: 'must be application/json' },
    ]);
    expect(reached).toEqual([]);
  });
});

describe('preconditions, before anything is read', () => {
  it('a malformed If-Match is 400 naming the header', async () => {
    const res = await invoke('PATCH', '/v1/providers/p', {
      body: JSON.stringify({ config: { a: '1' } }),
      headers: { ...JSON_TYPE, 'if-match': 'W/"x"' },
    });
    expect(res.status).toBe(400);
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['header.if-match']);
    expect(reached).toEqual([]);
  });

  it('an If-Match that disagrees with expectedResourceVersion is 400 naming the header', async () => {
    const res = await invoke('PATCH', '/v1/providers/p', {
      body: JSON.stringify({ config: { a: '1' }, expectedResourceVersion: 2 }),
      headers: { ...JSON_TYPE, 'if-match': '"7c2be8b8-26d7-43b6-9994-e1dcc7594fc7:3"' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'header.if-match', message: 'disagrees with expectedResourceVersion/expectedId' },
    ]);
    expect(reached).toEqual([]);
  });

  it('a create with preconditions is 400 naming each, and writes nothing', async () => {
    // act
    const res = await invoke('POST', '/v1/sandboxes', {
      body: JSON.stringify({ name: 's', spec: {}, expectedResourceVersion: 1 }),
      headers: { ...JSON_TYPE, 'if-match': '"7c2be8b8-26d7-43b6-9994-e1dcc7594fc7:1"' },
    });
    // assert
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.expectedResourceVersion',
      'header.if-match',
    ]);
    expect(reached).toEqual([]);
  });
});

describe('authorization, before anything is read', () => {
  it('401 without a token, 403 without the scope, as problems', async () => {
    // act
    const none = await invoke('GET', '/v1/providers', { claims: undefined });
    const empty = await invoke('GET', '/v1/providers', { claims: {} });
    const denied = await invoke('GET', '/v1/providers', {
      claims: { sub: 'u', scope: 'sandbox:read provider:write' },
    });
    // assert
    for (const res of [none, empty]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
      expect(problemShapeErrors(res)).toEqual([]);
    }
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect(denied.body.detail).toContain('provider:read');
    expect(problemShapeErrors(denied)).toEqual([]);
    expect(reached).toEqual([]);
  });

  it('comes before the input is parsed: a caller without the scope learns nothing of it', async () => {
    const res = await invoke('PATCH', '/v1/providers/Bad_Name?x=1', {
      body: '{"name":',
      headers: { ...JSON_TYPE, 'if-match': 'W/"x"', 'idempotency-key': 'bad key' },
      claims: { sub: 'u', scope: 'provider:read' },
    });
    expect(res.status).toBe(403);
    expect(res.body).not.toHaveProperty('errors');
  });
});

describe('requests no route matches, answered by the meta function', () => {
  it('a known path with a method it does not serve: 405 with Allow; an unknown path: 404', async () => {
    // act
    const onCollection = await invoke('DELETE', '/v1/providers');
    const onObject = await invoke('POST', '/v1/providers/p');
    const onPublic = await invoke('PUT', '/v1/openapi.json');
    const unknown = await invoke('GET', '/v1/nothing-here');
    // assert
    expect(onCollection.event.routeKey).toBe('$default');
    expect(onCollection.status).toBe(405);
    expect(onCollection.headers.allow).toBe('GET, HEAD, POST');
    expect(onObject.status).toBe(405);
    expect(onObject.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expect(onPublic.status).toBe(405);
    expect(onPublic.headers.allow).toBe('GET, HEAD');
    for (const res of [onCollection, onObject, onPublic]) {
      expect(problemShapeErrors(res)).toEqual([]);
      expect(res.body.errors).toEqual([{ field: 'method', message: expect.any(String) }]);
    }
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect(unknown.headers).not.toHaveProperty('allow');
    expect(reached).toEqual([]);
  });
});

describe('HEAD', () => {
  it('is served by the GET route: its status and headers, content-length, no body', async () => {
    // act
    const get = await invoke('GET', '/healthz');
    const head = await invoke('HEAD', '/healthz');
    // assert
    expect(head.event.routeKey).toBe('HEAD /healthz');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
  });

  it('of a refused request: the problem’s status and headers, no body', async () => {
    const get = await invoke('GET', '/v1/providers/Bad_Name');
    const head = await invoke('HEAD', '/v1/providers/Bad_Name');
    expect(head.status).toBe(400);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe('application/problem+json');
    // The two problems differ only in their request ids, UUIDs of one length.
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
  });
});

describe('every answer', () => {
  it('carries API Gateway’s request id; a problem names it and the path as its instance', async () => {
    const ok = await invoke('GET', '/healthz');
    const refused = await invoke('GET', '/v1/providers/Bad_Name');
    expect(ok.headers['x-request-id']).toBe(ok.event.requestContext.requestId);
    expect(refused.headers['x-request-id']).toBe(refused.event.requestContext.requestId);
    expect(refused.body.requestId).toBe(refused.event.requestContext.requestId);
    expect(refused.body.instance).toBe('/v1/providers/Bad_Name');
  });

  it('a failure of the database is a 500 that names nothing of it', async () => {
    // act
    const res = await invoke('GET', '/v1/providers/p');
    // assert: the request got as far as the store, which refused it
    expect(reached).toEqual(['GetItemCommand']);
    expect(res.status).toBe(500);
    expect(problemShapeErrors(res)).toEqual([]);
    expect(res.body.code).toBe('INTERNAL');
    expect(internalLeaks(JSON.stringify(res.body), [store.tableName])).toEqual([]);
    expect(res.text).not.toContain('offline');
  });
});
