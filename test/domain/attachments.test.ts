import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/** Attaching providers to sandboxes and detaching them (`lib/domain/attachments.ts`). */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { provider, sandbox } = objectsOver(() => ({ call, store }));

describe('attach and detach', () => {
  it('attach is one CAS write; attaching again is a no-op that keeps the version', async () => {
    const p = await provider();
    const s = await sandbox();
    const name = s.metadata.name;
    const a = await call(
      'PUT',
      `/v1/sandboxes/${name}/providers/${p.metadata.name}?expectedResourceVersion=1`,
    );
    expect(a.status).toBe(200);
    expect(a.body.attached).toBe(true);
    expect(a.body.sandbox.metadata.resourceVersion).toBe(2);
    expect(a.body.sandbox.spec.providers).toEqual([p.metadata.name]);

    const again = await call('PUT', `/v1/sandboxes/${name}/providers/${p.metadata.name}`);
    expect(again.body.attached).toBe(false);
    expect(again.body.sandbox.metadata.resourceVersion).toBe(2);

    const stale = await call(
      'PUT',
      `/v1/sandboxes/${name}/providers/${p.metadata.name}?expectedResourceVersion=1`,
    );
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('ABORTED');

    const listed = await call('GET', `/v1/sandboxes/${name}/providers`);
    expect(listed.body.items[0].credentials).toEqual({ API_KEY: 'REDACTED' });
  });

  it('a missing provider is 409 FAILED_PRECONDITION; the 33rd is 400', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const missing = await call('PUT', `/v1/sandboxes/${name}/providers/nope`);
    expect(missing.status).toBe(409);
    expect(missing.body.code).toBe('FAILED_PRECONDITION');

    const ps = await Promise.all(Array.from({ length: 33 }, () => provider()));
    for (const p of ps.slice(0, 32)) {
      expect((await call('PUT', `/v1/sandboxes/${name}/providers/${p.metadata.name}`)).status).toBe(
        200,
      );
    }
    const over = await call('PUT', `/v1/sandboxes/${name}/providers/${ps[32].metadata.name}`);
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('INVALID_ARGUMENT');
    const got = await call('GET', `/v1/sandboxes/${name}`);
    expect(got.body.spec.providers).toHaveLength(32);
    expect(got.body.metadata.resourceVersion).toBe(33);
  });

  it('detach works, is idempotent, and frees the provider', async () => {
    const p = await provider();
    const s = await sandbox({ spec: { providers: [p.metadata.name] } });
    const name = s.metadata.name;
    const d = await call(
      'DELETE',
      `/v1/sandboxes/${name}/providers/${p.metadata.name}?expectedResourceVersion=1`,
    );
    expect(d.status).toBe(200);
    expect(d.body.detached).toBe(true);
    expect(d.body.sandbox.metadata.resourceVersion).toBe(2);
    const again = await call('DELETE', `/v1/sandboxes/${name}/providers/${p.metadata.name}`);
    expect(again.body.detached).toBe(false);
    expect(again.body.sandbox.metadata.resourceVersion).toBe(2);
    expect((await call('DELETE', `/v1/providers/${p.metadata.name}`)).status).toBe(200);
  });

  it('attach vs provider delete, raced 60 times: never a sandbox listing a missing provider', async () => {
    for (let i = 0; i < 60; i++) {
      const p = await provider();
      const s = await sandbox();
      const [attach, del] = await Promise.all([
        call('PUT', `/v1/sandboxes/${s.metadata.name}/providers/${p.metadata.name}`),
        call('DELETE', `/v1/providers/${p.metadata.name}`),
      ]);
      const listed = (await call('GET', `/v1/sandboxes/${s.metadata.name}`)).body.spec.providers;
      const exists = (await call('GET', `/v1/providers/${p.metadata.name}`)).status === 200;
      if (listed.includes(p.metadata.name)) expect(exists).toBe(true);
      expect([200, 409]).toContain(attach.status);
      expect([200, 409]).toContain(del.status);
      expect(attach.status === 200 && del.status === 200).toBe(false);
    }
  });
});
