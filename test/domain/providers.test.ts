import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/** Providers (`lib/domain/providers.ts`): credentials, versions, and deletes while in use. */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { provider, sandbox, rawItem } = objectsOver(() => ({ call, store }));

describe('providers', () => {
  it('redacts credentials everywhere, merges key by key, rejects a type change', async () => {
    const p = await provider();
    const name = p.metadata.name;
    const patched = await call('PATCH', `/v1/providers/${name}`, {
      body: { credentials: { ORG: 'org-secret-123', API_KEY: '' }, config: { region: 'eu' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.credentials).toEqual({ ORG: 'REDACTED' });
    expect(patched.body.config).toEqual({ region: 'eu' });
    expect(patched.body.metadata.resourceVersion).toBe(2);

    const typeChange = await call('PATCH', `/v1/providers/${name}`, {
      body: { type: 'anthropic' },
    });
    expect(typeChange.status).toBe(400);
    expect(typeChange.body.errors[0].field).toBe('body.type');
    expect((await rawItem(keys.provider(name)))?.resource_version).toBe(2);
  });

  it('a stale version is 409 ABORTED with the redacted current object', async () => {
    const p = await provider();
    const name = p.metadata.name;
    await call('PATCH', `/v1/providers/${name}`, { body: { config: { a: '1' } } });
    const stale = await call('PATCH', `/v1/providers/${name}`, {
      body: { config: { b: '2' }, expectedResourceVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('ABORTED');
    expect(stale.body.currentResourceVersion).toBe(2);
    expect(stale.body.current.credentials).toEqual({ API_KEY: 'REDACTED' });
  });

  it('If-Match mismatch is 412 ABORTED; a matching ETag writes', async () => {
    const p = await provider();
    const name = p.metadata.name;
    const etag = `"${p.metadata.id}:1"`;
    const ok = await call('PATCH', `/v1/providers/${name}`, {
      body: { config: { x: '1' } },
      headers: { 'If-Match': etag },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe(`"${p.metadata.id}:2"`);
    const stale = await call('PATCH', `/v1/providers/${name}`, {
      body: { config: { x: '2' } },
      headers: { 'If-Match': etag },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('ABORTED');
  });

  it('an ETag of a deleted object never writes to its same-named successor', async () => {
    const p = await provider();
    const name = p.metadata.name;
    expect((await call('DELETE', `/v1/providers/${name}`)).status).toBe(200);
    await provider(name);
    const res = await call('PATCH', `/v1/providers/${name}`, {
      body: { config: { x: '1' } },
      headers: { 'If-Match': `"${p.metadata.id}:1"` },
    });
    expect(res.status).toBe(412);
  });

  it('delete while attached is 409 FAILED_PRECONDITION naming the sandboxes', async () => {
    const p = await provider();
    const s = await sandbox({ spec: { providers: [p.metadata.name] } });
    const res = await call('DELETE', `/v1/providers/${p.metadata.name}`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('FAILED_PRECONDITION');
    expect(res.body.detail).toContain(s.metadata.name);
    expect((await call('GET', `/v1/providers/${p.metadata.name}`)).status).toBe(200);
  });
});
