import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FunctionName } from '#lib/contract/index.ts';
import type { HttpEvent } from '#lib/http/event.ts';
import type { HttpResponse } from '#lib/http/problem.ts';
import { routeGroups } from '#lib/http/routes.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import {
  createDevAuthority,
  DEV_AUDIENCE,
  DEV_ISSUER,
  type DevAuthority,
} from '#local/dev-auth.ts';
import { type DevServer, type LambdaHttpHandler, startDevServer } from '#local/dev-server.ts';
import { problemShapeErrors } from '#test/support/problems.ts';
import { RawConnection, type RawResponse, rawRequest } from '#test/support/raw-http.ts';

/**
 * What the dev server does before and after a function runs, as API Gateway and Lambda do:
 * limits, the authorizer step, bodies that are not text. The functions are fakes that record
 * each event and answer what the test asks, so no database is needed.
 */

let server: DevServer;
let authority: DevAuthority;
let sign: (claims: JWTPayload) => Promise<string>;
let token: string;
let host: string;
/** The events the functions were invoked with, in order. */
const invoked: HttpEvent[] = [];
/** What the functions answer; by default the parts of the event the tests look at. */
let answer: (event: HttpEvent) => HttpResponse;
const echo = (event: HttpEvent): HttpResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    routeKey: event.routeKey,
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded,
    claims: event.requestContext.authorizer.jwt.claims,
  }),
});

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'shellgate-gateway-'));
  const keyFile = join(stateDir, 'dev-jwt-key.json');
  authority = await createDevAuthority(keyFile);
  const key = await importJWK(JSON.parse(readFileSync(keyFile, 'utf8')), 'ES256');
  sign = (claims) =>
    new SignJWT({ sub: 'gateway-test', ...claims })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
  token = await authority.mint();
  const fake: LambdaHttpHandler = async (event) => {
    invoked.push(event);
    return answer(event);
  };
  const handlers = Object.fromEntries(Object.keys(routeGroups).map((fn) => [fn, fake])) as Record<
    FunctionName,
    LambdaHttpHandler
  >;
  server = await startDevServer({ port: 0, handlers, authority });
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => {
  invoked.length = 0;
  answer = echo;
  vi.restoreAllMocks();
});
answer = echo;

const json = (res: RawResponse) => JSON.parse(res.body.toString('utf8'));

/** A request's answer as the problem checks read it. */
const asProblem = (res: RawResponse) => ({
  status: res.status,
  headers: res.headers,
  body: json(res),
});

async function exchange(request: Buffer): Promise<RawResponse> {
  const conn = await RawConnection.open(server.url);
  try {
    await conn.write(request);
    return await conn.response();
  } finally {
    conn.destroy();
  }
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('a body past the limits', () => {
  const tooLarge = Buffer.alloc(600 * 1024, 'a');

  it.each([
    ['with a content-length', { 'content-type': 'application/json' }],
    ['chunked', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }],
  ])(
    '%s: 413 problem+json, and the next request on the connection is served',
    async (_, headers) => {
      // arrange
      const conn = await RawConnection.open(server.url);
      const body =
        'transfer-encoding' in headers
          ? Buffer.concat([
              Buffer.from(`${tooLarge.length.toString(16)}\r\n`),
              tooLarge,
              Buffer.from('\r\n0\r\n\r\n'),
            ])
          : tooLarge;
      // act
      await conn.write(
        rawRequest('POST', '/v1/providers', { host, ...bearer(token), ...headers }, body),
      );
      const first = await conn.response();
      await conn.write(rawRequest('GET', '/healthz', { host }));
      const second = await conn.response();
      conn.destroy();
      // assert
      expect(first.status).toBe(413);
      expect(problemShapeErrors(asProblem(first))).toEqual([]);
      expect(json(first).errors).toEqual([
        { field: 'body', message: 'must be at most 524288 bytes' },
      ]);
      expect(first.headers.connection).not.toBe('close');
      expect(second.status).toBe(200);
      expect(invoked.map((e) => e.routeKey)).toEqual(['GET /healthz']);
    },
  );

  it("past API Gateway's payload limit, announced: 413 with connection: close, the body unread", async () => {
    // arrange
    const conn = await RawConnection.open(server.url);
    const announced = PLATFORM.apiGateway.payloadBytes + 1;
    // act: only the head is sent; the server must not wait for 10 MB
    await conn.write(
      rawRequest('POST', '/v1/providers', {
        host,
        ...bearer(token),
        'content-type': 'application/json',
        'content-length': String(announced),
      }),
    );
    const res = await conn.response();
    await conn.closed;
    // assert
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(invoked).toEqual([]);
  }, 15_000);

  it("past API Gateway's payload limit, streamed: 413 with connection: close once the limit is passed", async () => {
    // arrange
    const conn = await RawConnection.open(server.url);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const framed = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    // act: 11 chunks of 1 MiB, and no last chunk
    await conn.write(
      rawRequest('POST', '/v1/providers', {
        host,
        ...bearer(token),
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      }),
    );
    for (let i = 0; i < 11; i++) await conn.write(framed);
    const res = await conn.response();
    await conn.closed;
    // assert
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(invoked).toEqual([]);
  }, 15_000);
});

describe("API Gateway's header limit", () => {
  const limit = PLATFORM.apiGateway.headerBytes;
  /** Request line and header values of `GET /healthz` with a host and `x-fill` of `fill` bytes. */
  const sizeWith = (fill: number) => 'GET /healthz HTTP/1.1'.length + host.length + fill;

  it('passes a request whose request line and header values are exactly at it', async () => {
    const fill = limit - sizeWith(0);
    const res = await exchange(rawRequest('GET', '/healthz', { host, 'x-fill': 'f'.repeat(fill) }));
    expect(sizeWith(fill)).toBe(limit);
    expect(res.status).toBe(200);
  });

  it('refuses one byte more with a problem+json 400 naming the largest header', async () => {
    const fill = limit - sizeWith(0) + 1;
    const res = await exchange(rawRequest('GET', '/healthz', { host, 'x-fill': 'f'.repeat(fill) }));
    expect(res.status).toBe(400);
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(json(res).errors).toEqual([
      {
        field: 'header.x-fill',
        message: `is ${fill} bytes; the request line and header values together must be at most ${limit} bytes, and were ${limit + 1}`,
      },
    ]);
    expect(invoked).toEqual([]);
  });

  it('a 20 KB Idempotency-Key is a problem+json 400 naming it, not 431', async () => {
    // act
    const res = await fetch(`${server.url}/v1/providers`, {
      method: 'POST',
      headers: {
        ...bearer(token),
        'content-type': 'application/json',
        'idempotency-key': 'k'.repeat(20 * 1024),
      },
      body: '{}',
    });
    const body = (await res.json()) as { code: string; errors: Array<{ field: string }> };
    // assert
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(body.code).toBe('INVALID_ARGUMENT');
    expect(body.errors.map((e) => e.field)).toEqual(['header.idempotency-key']);
  });

  it('names the query string when the request line is the largest part', async () => {
    const res = await exchange(
      rawRequest('GET', `/v1/sandboxes?labelSelector=${'a'.repeat(limit)}`, {
        host,
        ...bearer(token),
      }),
    );
    expect(res.status).toBe(400);
    expect(json(res).errors.map((e: { field: string }) => e.field)).toEqual(['query']);
  });

  it("past Node's own header limit: still a problem+json 400, and the connection closes", async () => {
    const conn = await RawConnection.open(server.url);
    await conn.write(rawRequest('GET', '/healthz', { host, 'x-fill': 'f'.repeat(1100 * 1024) }));
    const res = await conn.response();
    await conn.closed;
    expect(res.status).toBe(400);
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(json(res).errors.map((e: { field: string }) => e.field)).toEqual(['header']);
  });
});

describe('requests Node cannot parse', () => {
  it.each([
    [
      'a raw non-ASCII byte in the path',
      rawRequest('GET', Buffer.from([0x2f, 0x76, 0x31, 0x2f, 0xff]), { host }),
      'path',
      '/v1/%FF',
    ],
    [
      'a space in a header name',
      Buffer.from(`GET /healthz HTTP/1.1\r\nhost: ${'x'}\r\nbad name: 1\r\n\r\n`),
      'header',
      '/healthz',
    ],
    [
      'a malformed chunk size',
      rawRequest('POST', '/healthz', { host: 'x', 'transfer-encoding': 'chunked' }, 'zz\r\n'),
      'body',
      '/healthz',
    ],
  ])('%s: a problem+json 400, not an empty one', async (_, request, field, instance) => {
    // act
    const conn = await RawConnection.open(server.url);
    await conn.write(request);
    const res = await conn.response();
    await conn.closed;
    // assert
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(json(res).errors.map((e: { field: string }) => e.field)).toEqual([field]);
    expect(json(res).instance).toBe(instance);
    expect(res.headers.connection).toBe('close');
    expect(invoked).toEqual([]);
  });
});

describe('a request without Host', () => {
  it('is a problem+json 400 naming header.host, not an empty one', async () => {
    const res = await exchange(rawRequest('GET', '/healthz', {}));
    expect(res.status).toBe(400);
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(json(res).errors).toEqual([
      { field: 'header.host', message: 'is required in HTTP/1.1' },
    ]);
    expect(invoked).toEqual([]);
  });
});

describe('a body that is not UTF-8', () => {
  it('reaches the function base64-encoded with isBase64Encoded, as API Gateway passes it', async () => {
    // arrange: `{"config":{"k":"a\xff\xfe"}}`
    const bytes = Buffer.concat([
      Buffer.from('{"config":{"k":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    // act
    const res = await fetch(`${server.url}/v1/providers/p`, {
      method: 'PATCH',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: bytes,
    });
    // assert
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
  });

  it('UTF-8 reaches it as text', async () => {
    const text = '{"config":{"k":"añ✓😀"}}';
    const res = await fetch(`${server.url}/v1/providers/p`, {
      method: 'PATCH',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: Buffer.from(text),
    });
    expect(await res.json()).toMatchObject({ body: text, isBase64Encoded: false });
  });
});

describe('the authorizer step parses scopes as API Gateway does', () => {
  // GET /v1/sandboxes needs sandbox:read.
  it.each([
    ['comma-separated', { scope: 'sandbox:read,provider:read' }],
    ['tab-separated', { scope: 'sandbox:read\tprovider:read' }],
    ['in brackets', { scope: '[sandbox:read]' }],
    ['newline-separated', { scope: 'provider:read\nsandbox:read' }],
    ['a list with one space-separated item', { scope: ['provider:read sandbox:read'] }],
    ['a number', { scope: 1 }],
  ])('%s: 403 before any function runs', async (_, claims) => {
    // act
    const res = await fetch(`${server.url}/v1/sandboxes`, { headers: bearer(await sign(claims)) });
    const body = (await res.json()) as { code: string };
    // assert
    expect(res.status).toBe(403);
    expect(body.code).toBe('PERMISSION_DENIED');
    expect(invoked).toEqual([]);
  });

  it.each([
    ['space-separated', { scope: 'sandbox:read provider:read' }],
    ['with runs of spaces', { scope: '  provider:read   sandbox:read ' }],
    ['a list of strings', { scope: ['sandbox:read'] }],
    ['the scp claim', { scp: 'sandbox:read' }],
    ['the super scope', { scope: 'shellgate:all' }],
  ])('%s: the function runs', async (_, claims) => {
    const res = await fetch(`${server.url}/v1/sandboxes`, { headers: bearer(await sign(claims)) });
    expect(res.status).toBe(200);
    expect(invoked.map((e) => e.routeKey)).toEqual(['GET /v1/sandboxes']);
  });
});

describe('requests no route matches ($default, behind the JWT authorizer)', () => {
  it.each([
    ['no token', (): Record<string, string> => ({})],
    ['a forged token', () => bearer(`${token.slice(0, -4)}AAAA`)],
    ['Basic credentials', () => ({ authorization: 'Basic bWU6cGFzcw==' })],
  ])('%s: 401 problem+json, no function runs', async (_, headers) => {
    const res = await exchange(rawRequest('GET', '/v1/nothing-here', { host, ...headers() }));
    expect(res.status).toBe(401);
    expect(problemShapeErrors(asProblem(res))).toEqual([]);
    expect(json(res).code).toBe('UNAUTHENTICATED');
    expect(invoked).toEqual([]);
  });

  it('with a valid token of any scope: the function runs with $default and the claims', async () => {
    const res = await exchange(
      rawRequest('DELETE', '/healthz', { host, ...bearer(await sign({})) }),
    );
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ routeKey: '$default', claims: { sub: 'gateway-test' } });
  });

  it('public routes still need no token', async () => {
    const res = await exchange(rawRequest('GET', '/healthz', { host }));
    expect(res.status).toBe(200);
    expect(json(res).claims).toEqual({});
  });
});

describe("Lambda's response limit", () => {
  const limit = PLATFORM.lambda.responseBytes;
  /** A function answer whose JSON is `size` bytes. */
  const answerOf = (size: number): HttpResponse => {
    const empty: HttpResponse = {
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: '',
    };
    return { ...empty, body: 'x'.repeat(size - JSON.stringify(empty).length) };
  };

  it('passes an answer whose JSON is exactly at it', async () => {
    // arrange
    answer = () => answerOf(limit);
    // act
    const res = await fetch(`${server.url}/healthz`);
    // assert
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBe(answerOf(limit).body.length);
  });

  it("turns one byte more into API Gateway's 500, and says so on stderr", async () => {
    // arrange
    answer = () => answerOf(limit + 1);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    // act
    const res = await fetch(`${server.url}/healthz`);
    // assert
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]?.[0])).toMatch(
      new RegExp(
        `meta function answered 200 with a ${limit + 1}-byte response, over Lambda's ${limit}-byte response limit`,
      ),
    );
  });
});
