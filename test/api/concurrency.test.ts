import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

let n = 0;
const unique = (p: string) => `${p}-c${++n}`;
const statuses = (rs: ApiResponse[]) => rs.map((r) => r.status).sort();

async function rawItem(key: { pk: string; sk: string }) {
  return (
    await store.client.send(
      new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
    )
  ).Item;
}

async function provider(name = unique('p')) {
  const res = await call('POST', '/v1/providers', {
    body: { name, type: 'openai', credentials: { API_KEY: `sk-${name}-secret` } },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function readySandbox() {
  const name = unique('s');
  expect((await call('POST', '/v1/sandboxes', { body: { name, spec: {} } })).status).toBe(201);
  expect(
    (await call('PUT', `/v1/sandboxes/${name}/status`, { body: { phase: 'READY' } })).status,
  ).toBe(200);
  return name;
}

describe('the twelve concurrency scenarios', () => {
  it('1: two creates of one sandbox name → one 201, one 409 ALREADY_EXISTS; the winner id is stored', async () => {
    const name = unique('s');
    const rs = await Promise.all(
      [0, 1].map(() => call('POST', '/v1/sandboxes', { body: { name, spec: {} } })),
    );
    expect(statuses(rs)).toEqual([201, 409]);
    const winner = rs.find((r) => r.status === 201)!;
    expect(rs.find((r) => r.status === 409)!.body.code).toBe('ALREADY_EXISTS');
    expect((await rawItem(keys.sandbox(name)))?.id).toBe(winner.body.metadata.id);
  });

  it('2: two creates of one provider name → one 201, one 409; the winner id is stored', async () => {
    const name = unique('p');
    const rs = await Promise.all(
      [0, 1].map((i) =>
        call('POST', '/v1/providers', {
          body: { name, type: 'openai', credentials: { K: `secret-race-${i}` } },
        }),
      ),
    );
    expect(statuses(rs)).toEqual([201, 409]);
    const winner = rs.find((r) => r.status === 201)!;
    expect((await rawItem(keys.provider(name)))?.id).toBe(winner.body.metadata.id);
  });

  it('3: three provider updates with one stale version → one success, two ABORTED, one new key', async () => {
    const p = await provider();
    const name = p.metadata.name;
    const rs = await Promise.all(
      ['a', 'b', 'c'].map((k) =>
        call('PATCH', `/v1/providers/${name}`, {
          body: { config: { [k]: '1' }, expectedResourceVersion: 1 },
        }),
      ),
    );
    expect(statuses(rs)).toEqual([200, 409, 409]);
    for (const r of rs.filter((r) => r.status === 409)) expect(r.body.code).toBe('ABORTED');
    const item = await rawItem(keys.provider(name));
    expect(item?.resource_version).toBe(2);
    expect(Object.keys(item?.data.config)).toHaveLength(1);
  });

  it('4: three attaches of different providers with one version → one success, one attached', async () => {
    const ps = await Promise.all([provider(), provider(), provider()]);
    const s = unique('s');
    await call('POST', '/v1/sandboxes', { body: { name: s, spec: {} } });
    const rs = await Promise.all(
      ps.map((p) =>
        call('PUT', `/v1/sandboxes/${s}/providers/${p.metadata.name}?expectedResourceVersion=1`),
      ),
    );
    expect(statuses(rs)).toEqual([200, 409, 409]);
    const got = await call('GET', `/v1/sandboxes/${s}`);
    expect(got.body.spec.providers).toHaveLength(1);
    expect(got.body.metadata.resourceVersion).toBe(2);
  });

  it('5: three first-policy writes with one version → one success, policy set, version +1', async () => {
    const s = unique('s');
    await call('POST', '/v1/sandboxes', { body: { name: s, spec: {} } });
    const rs = await Promise.all(
      [1, 2, 3].map((i) =>
        call('PUT', `/v1/sandboxes/${s}/config/policy`, {
          body: { policy: { i }, expectedResourceVersion: 1 },
        }),
      ),
    );
    expect(statuses(rs)).toEqual([200, 409, 409]);
    const winner = rs.find((r) => r.status === 200)!;
    const cfg = await call('GET', `/v1/sandboxes/${s}/config`);
    expect(cfg.body.policy).toEqual(winner.body.revision.policy);
    expect(cfg.body.resourceVersion).toBe(2);
    expect(cfg.body.policyVersion).toBe(1);
  });

  it("6: a settings save from a stale read → ABORTED, the other writer's key kept", async () => {
    const s = unique('s');
    await call('POST', '/v1/sandboxes', { body: { name: s, spec: {} } });
    const read = await call('GET', `/v1/sandboxes/${s}/config`);
    const version = read.body.settingsResourceVersion;
    const other = await call('PUT', `/v1/sandboxes/${s}/config/settings/other`, {
      body: { value: 'kept' },
    });
    expect(other.status).toBe(200);
    const stale = await call('PUT', `/v1/sandboxes/${s}/config/settings/mine`, {
      body: { value: 'lost?', expectedResourceVersion: version },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('ABORTED');
    const cfg = await call('GET', `/v1/sandboxes/${s}/config`);
    expect(cfg.body.settings).toEqual({ other: 'kept' });
  });

  it('7: two concurrent SSH session creates → both succeed with distinct tokens', async () => {
    const s = await readySandbox();
    const rs = await Promise.all(
      [0, 1].map(() => call('POST', `/v1/sandboxes/${s}/ssh-sessions`, { body: {} })),
    );
    expect(statuses(rs)).toEqual([201, 201]);
    expect(rs[0]!.body.token).not.toBe(rs[1]!.body.token);
    expect((await call('GET', `/v1/sandboxes/${s}/ssh-sessions`)).body.items).toHaveLength(2);
  });

  it('8: two concurrent revokes → the session ends revoked, no 500', async () => {
    const s = await readySandbox();
    const created = await call('POST', `/v1/sandboxes/${s}/ssh-sessions`, { body: {} });
    const id = created.body.metadata.id;
    const rs = await Promise.all([0, 1].map(() => call('DELETE', `/v1/ssh-sessions/${id}`)));
    expect(statuses(rs)).toEqual([200, 200]);
    const listed = await call('GET', `/v1/sandboxes/${s}/ssh-sessions`);
    expect(listed.body.items[0].revoked).toBe(true);
    expect(listed.body.items[0].metadata.resourceVersion).toBe(2);
  });

  it('9: two concurrent first exposes → one endpoint', async () => {
    const s = await readySandbox();
    const rs = await Promise.all(
      [3000, 3001].map((port) =>
        call('PUT', `/v1/sandboxes/${s}/services/web`, { body: { targetPort: port } }),
      ),
    );
    expect(statuses(rs)).toEqual([200, 201]);
    const list = await call('GET', `/v1/services?sandbox=${s}`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].metadata.resourceVersion).toBe(2);
  });

  it('10: two concurrent expose updates → the final port is one of the new values', async () => {
    const s = await readySandbox();
    await call('PUT', `/v1/sandboxes/${s}/services/web`, { body: { targetPort: 1000 } });
    const rs = await Promise.all(
      [2000, 3000].map((port) =>
        call('PUT', `/v1/sandboxes/${s}/services/web`, { body: { targetPort: port } }),
      ),
    );
    for (const r of rs) expect(r.status).toBe(200);
    const got = await call('GET', `/v1/sandboxes/${s}/services/web`);
    expect([2000, 3000]).toContain(got.body.targetPort);
    expect(got.body.metadata.resourceVersion).toBe(3);
  });

  it('11: two concurrent inference route creates → one route at version 1', async () => {
    const name = unique('r');
    const rs = await Promise.all(
      [0, 1].map(() =>
        call('PUT', `/v1/inference/routes/${name}`, { body: { providerName: 'p', modelId: 'm' } }),
      ),
    );
    expect(statuses(rs)).toEqual([200, 201]);
    // The same body twice: the second upsert changes nothing and keeps version 1.
    const got = await call('GET', `/v1/inference/routes/${name}`);
    expect(got.body.metadata.resourceVersion).toBe(1);
  });

  it('12: two concurrent route updates → version 2 or 3, the final model one of the new values', async () => {
    const name = unique('r');
    await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'p', modelId: 'm0' },
    });
    const rs = await Promise.all(
      ['m1', 'm2'].map((m) =>
        call('PUT', `/v1/inference/routes/${name}`, { body: { providerName: 'p', modelId: m } }),
      ),
    );
    for (const r of rs) expect(r.status).toBe(200);
    const got = await call('GET', `/v1/inference/routes/${name}`);
    expect(['m1', 'm2']).toContain(got.body.modelId);
    expect([2, 3]).toContain(got.body.metadata.resourceVersion);
  });
});
