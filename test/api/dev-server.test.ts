import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER } from '#local/dev-auth.ts';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { problemShapeErrors } from '#test/support/problems.ts';
import { assertNoSecrets, registerSecrets } from '#test/support/secrets.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

let system: LocalSystem;
let token: string;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'shellgate-'));
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-e2e-${randomUUID().slice(0, 8)}`,
    stateDir,
    schedules: false,
    log: () => {},
  });
  token = system.token;
});
afterAll(async () => {
  await system?.stop();
});

async function http(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  registerSecrets(body);
  const res = await fetch(`${system.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assertNoSecrets(text);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the dev server over HTTP', () => {
  it('serves the routes on the real handlers, end to end', async () => {
    expect(
      (
        await http('POST', '/v1/providers', {
          name: 'gh',
          type: 'github',
          credentials: { TOKEN: 'ghp_e2e_secret' },
        })
      ).status,
    ).toBe(201);
    const s = await http('POST', '/v1/sandboxes', {
      name: 'box',
      labels: { env: 'e2e' },
      spec: { image: 'ubuntu' },
    });
    expect(s.status).toBe(201);
    expect(s.headers.get('etag')).toBe(`"${s.body.metadata.id}:1"`);
    const attach = await http('PUT', '/v1/sandboxes/box/providers/gh', undefined, {
      'if-match': s.headers.get('etag')!,
    });
    expect(attach.status).toBe(200);
    expect(attach.body.attached).toBe(true);
    const list = await http('GET', '/v1/sandboxes?labelSelector=env=e2e');
    expect(list.body.items[0].spec.providers).toEqual(['gh']);
    expect((await http('GET', '/v1/sandboxes/box/providers')).body.items[0].credentials).toEqual({
      TOKEN: 'REDACTED',
    });
  });

  it('verifies tokens like the JWT authorizer: none, forged, wrong scope', async () => {
    const none = await fetch(`${system.url}/v1/providers`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    const forged = await http('GET', '/v1/providers', undefined, {
      authorization: `Bearer ${token.slice(0, -4)}AAAA`,
    });
    expect(forged.status).toBe(401);
    const limited = await fetch(`${system.url}/dev/token`, {
      method: 'POST',
      body: JSON.stringify({ scopes: ['sandbox:read'] }),
    });
    const { token: readOnly } = (await limited.json()) as { token: string };
    const denied = await http('GET', '/v1/providers', undefined, {
      authorization: `Bearer ${readOnly}`,
    });
    expect(denied.status).toBe(403);
    const allowed = await http('GET', '/v1/sandboxes', undefined, {
      authorization: `Bearer ${readOnly}`,
    });
    expect(allowed.status).toBe(200);
  });

  it('serves the OpenAPI 3.1 document and health without a token; unknown routes are 404 with one', async () => {
    const doc = (await (await fetch(`${system.url}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths['/v1/sandboxes/{name}/providers/{provider}']!)).toEqual([
      'put',
      'delete',
    ]);
    expect((await fetch(`${system.url}/healthz`)).status).toBe(200);
    expect((await http('GET', '/v1/unknown')).status).toBe(404);
    expect((await http('GET', '/v1/providers/..%2F..%2Fetc')).status).toBe(400);
  });

  it('needs a valid token for a path no route matches: 401 without one, no handler runs', async () => {
    // act
    const none = await fetch(`${system.url}/v1/unknown`);
    const forged = await http('GET', '/v1/unknown', undefined, {
      authorization: `Bearer ${token.slice(0, -4)}AAAA`,
    });
    const wrongMethod = await http('DELETE', '/healthz');
    const wrongMethodWithout = await fetch(`${system.url}/healthz`, { method: 'DELETE' });
    // assert
    expect(none.status).toBe(401);
    const body = (await none.json()) as { code: string };
    expect(
      problemShapeErrors({ status: 401, headers: Object.fromEntries(none.headers), body }),
    ).toEqual([]);
    expect(body.code).toBe('UNAUTHENTICATED');
    // The handlers stamp every answer with its request id; the authorizer step answers before.
    expect(none.headers.get('x-request-id')).toBeNull();
    expect(forged.status).toBe(401);
    // A known path with a method it does not serve reaches `$default` too: behind the authorizer.
    expect(wrongMethodWithout.status).toBe(401);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reads scopes as API Gateway does: only spaces or a list separate them', async () => {
    // arrange
    const jwk = JSON.parse(readFileSync(join(stateDir, 'dev-jwt-key.json'), 'utf8'));
    const key = await importJWK(jwk, 'ES256');
    const sign = (claims: JWTPayload) =>
      new SignJWT({ sub: 'scopes', ...claims })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);
    const statusWith = async (scope: unknown) =>
      (
        await http('GET', '/v1/sandboxes', undefined, {
          authorization: `Bearer ${await sign({ scope })}`,
        })
      ).status;
    // act
    const statuses = {
      comma: await statusWith('sandbox:read,provider:read'),
      tab: await statusWith('sandbox:read\tprovider:read'),
      brackets: await statusWith('[sandbox:read]'),
      spaces: await statusWith('sandbox:read provider:read'),
      list: await statusWith(['sandbox:read']),
    };
    // assert
    expect(statuses).toEqual({ comma: 403, tab: 403, brackets: 403, spaces: 200, list: 200 });
  });

  it('refuses a body that is not UTF-8 with 400 naming body, and stores nothing', async () => {
    // arrange
    await http('POST', '/v1/providers', { name: 'bytes', type: 'x', credentials: { K: 'v' } });
    const bytes = Buffer.concat([
      Buffer.from('{"config":{"k":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    // act
    const res = await fetch(`${system.url}/v1/providers/bytes`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: bytes,
    });
    const after = await http('GET', '/v1/providers/bytes');
    // assert
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown }).errors).toEqual([
      { field: 'body', message: 'is not valid UTF-8' },
    ]);
    expect(after.body.config).toEqual({});
    expect(after.body.metadata.resourceVersion).toBe(1);
  });

  it('refuses an empty key inside a policy with 400 naming its object, not 500', async () => {
    // arrange
    await http('POST', '/v1/sandboxes', { name: 'empty-key', spec: {} });
    // act
    const res = await http('PUT', '/v1/sandboxes/empty-key/config/policy', {
      policy: { a: { '': 1 } },
    });
    // assert
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'body.policy.a', message: 'has an empty key' }]);
    expect((await http('GET', '/v1/sandboxes/empty-key')).body.metadata.resourceVersion).toBe(1);
  });
});
