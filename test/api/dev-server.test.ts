import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#lib/local/system.ts';
import { assertNoSecrets, registerSecrets } from '#test/support/secrets.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

let system: LocalSystem;
let token: string;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-e2e-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-')),
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

  it('serves the OpenAPI 3.1 document and health without a token; unknown routes are 404', async () => {
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
});
