import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

let n = 0;
const unique = (p: string) => `${p}-${++n}`;

async function provider(name = unique('p')) {
  const res = await call('POST', '/v1/providers', {
    body: { name, type: 'openai', credentials: { API_KEY: `sk-${name}-secret` } },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function sandbox(body: Record<string, unknown> = {}) {
  const name = (body.name as string) ?? unique('s');
  const res = await call('POST', '/v1/sandboxes', { body: { name, spec: {}, ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

async function ready(name: string) {
  const res = await call('PUT', `/v1/sandboxes/${name}/status`, { body: { phase: 'READY' } });
  expect(res.status).toBe(200);
  return res.body;
}

async function rawItem(key: { pk: string; sk: string }) {
  return (
    await store.client.send(
      new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
    )
  ).Item;
}

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

describe('sandboxes', () => {
  it('create: server-made id, version 1, PROVISIONING, labels found by a selector at once', async () => {
    const s = await sandbox({ labels: { team: 'blue', tier: 'dev' } });
    const item = await rawItem(keys.sandbox(s.metadata.name));
    expect(item?.id).toBe(s.metadata.id);
    expect(item?.resource_version).toBe(1);
    expect(s.phase).toBe('PROVISIONING');
    const listed = await call('GET', '/v1/sandboxes?labelSelector=team%3Dblue,tier%3Ddev');
    expect(listed.body.items.map((x: { metadata: { id: string } }) => x.metadata.id)).toContain(
      s.metadata.id,
    );
  });

  it('create with a missing provider is 409 FAILED_PRECONDITION and writes nothing', async () => {
    const name = unique('s');
    const res = await call('POST', '/v1/sandboxes', {
      body: { name, spec: { providers: ['does-not-exist'] } },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('FAILED_PRECONDITION');
    expect(await rawItem(keys.sandbox(name))).toBeUndefined();
  });

  it('status reports go through CAS and bump the version', async () => {
    const s = await sandbox();
    const r = await call('PUT', `/v1/sandboxes/${s.metadata.name}/status`, {
      body: {
        phase: 'READY',
        conditions: [{ type: 'Ready', status: 'True' }],
        expectedResourceVersion: 1,
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.metadata.resourceVersion).toBe(2);
    expect(r.body.conditions[0].lastTransitionTime).toBeTruthy();
    const stale = await call('PUT', `/v1/sandboxes/${s.metadata.name}/status`, {
      body: { phase: 'ERROR', expectedResourceVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', `/v1/sandboxes/${s.metadata.name}`)).body.phase).toBe('READY');
  });

  it('delete removes config, settings, sessions, services and provider bookkeeping', async () => {
    const p = await provider();
    const s = await sandbox({ spec: { providers: [p.metadata.name], policy: { a: 1 } } });
    const name = s.metadata.name;
    await ready(name);
    await call('PUT', `/v1/sandboxes/${name}/config/settings/mode`, { body: { value: 'fast' } });
    const session = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, { body: {} });
    expect(session.status).toBe(201);
    await call('PUT', `/v1/sandboxes/${name}/services/web`, { body: { targetPort: 8080 } });

    const del = await call('DELETE', `/v1/sandboxes/${name}`);
    expect(del.status).toBe(200);

    expect((await call('GET', `/v1/sandboxes/${name}`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/config`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/ssh-sessions`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/services/web`)).status).toBe(404);
    const services = await call('GET', '/v1/services');
    expect(services.body.items.some((x: { sandboxName: string }) => x.sandboxName === name)).toBe(
      false,
    );
    expect((await call('DELETE', `/v1/ssh-sessions/${session.body.metadata.id}`)).status).toBe(404);
    // The provider is free again.
    expect((await call('DELETE', `/v1/providers/${p.metadata.name}`)).status).toBe(200);
    const children = await store.queryAll(keys.sandboxPartition(name));
    expect(children).toEqual([]);
  });
});

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

describe('config', () => {
  it('first policy is a CAS on the sandbox; later ones are revisions N+1; LOADED supersedes', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const first = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'deny' }, expectedResourceVersion: 1 },
    });
    expect(first.status).toBe(200);
    expect(first.body.revision.version).toBe(1);
    expect(first.body.sandbox.metadata.resourceVersion).toBe(2);
    const second = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'allow' } },
    });
    expect(second.body.revision.version).toBe(2);

    const loaded1 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/1/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded1.body.status).toBe('LOADED');
    const loaded2 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/2/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded2.body.status).toBe('LOADED');

    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(
      revisions.body.items.map((r: { version: number; status: string }) => [r.version, r.status]),
    ).toEqual([
      [2, 'LOADED'],
      [1, 'SUPERSEDED'],
    ]);
    const config = await call('GET', `/v1/sandboxes/${name}/config`);
    expect(config.body.currentPolicyVersion).toBe(2);
    expect(config.body.policyVersion).toBe(2);
    expect(config.body.policy).toEqual({ net: 'allow' });
  });

  it('concurrent policy writers never produce two revisions with the same number', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('PUT', `/v1/sandboxes/${name}/config/policy`, { body: { policy: { i } } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const versions = ok.map((r) => r.body.revision.version);
    expect(new Set(versions).size).toBe(versions.length);
    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(revisions.body.items).toHaveLength(ok.length);
  });

  it('50 concurrent server-driven writers of distinct global settings keys all succeed, each in one request', async () => {
    // arrange: the settings object exists; count what each write sends
    const initial = (await call('GET', '/v1/settings')).body.resourceVersion;
    const sent: string[] = [];
    const name = 'count-settings-writes';
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push((context as { commandName?: string }).commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name },
    );
    // act
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('PUT', `/v1/settings/key${i}`, { body: { value: i } }),
      ),
    );
    store.client.middlewareStack.remove(name);
    // assert: no writer gives up, nothing is lost, the version counts every change once
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(sent).toEqual(Array(50).fill('UpdateItemCommand'));
    const settings = await call('GET', '/v1/settings');
    for (let i = 0; i < 50; i++) expect(settings.body.settings[`key${i}`]).toBe(i);
    expect(settings.body.resourceVersion).toBe(initial + 50);
    expect(new Set(results.map((r) => r.body.resourceVersion)).size).toBe(50);
  });

  it('sandbox settings: set, no-op, delete', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const set = await call('PUT', `/v1/sandboxes/${name}/config/settings/verbose`, {
      body: { value: true },
    });
    expect(set.body).toEqual({ settings: { verbose: true }, resourceVersion: 2 });
    const same = await call('PUT', `/v1/sandboxes/${name}/config/settings/verbose`, {
      body: { value: true, expectedResourceVersion: 2 },
    });
    expect(same.body.resourceVersion).toBe(2);
    const del = await call(
      'DELETE',
      `/v1/sandboxes/${name}/config/settings/verbose?expectedResourceVersion=2`,
    );
    expect(del.body).toEqual({ settings: {}, resourceVersion: 3 });
  });
});

describe('ssh sessions', () => {
  it('only for a READY sandbox; the token only in the create response; revoke is idempotent', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const early = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, { body: {} });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('FAILED_PRECONDITION');

    await ready(name);
    const created = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, {
      body: { ttlSeconds: 60 },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sgs_/);
    const listed = await call('GET', `/v1/sandboxes/${name}/ssh-sessions`);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(listed.body.items).toHaveLength(1);

    const id = created.body.metadata.id;
    const r1 = await call('DELETE', `/v1/ssh-sessions/${id}`);
    expect(r1.body.session.revoked).toBe(true);
    expect(r1.body.session.metadata.resourceVersion).toBe(2);
    const r2 = await call('DELETE', `/v1/ssh-sessions/${id}`);
    expect(r2.status).toBe(200);
    expect(r2.body.session.metadata.resourceVersion).toBe(2);
  });
});

describe('services and inference routes', () => {
  it('expose creates then updates through CAS', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const c = await call('PUT', `/v1/sandboxes/${name}/services/web`, {
      body: { targetPort: 3000, domain: true },
    });
    expect(c.status).toBe(201);
    expect(c.body.url).toContain('web--');
    const u = await call('PUT', `/v1/sandboxes/${name}/services/web`, {
      body: { targetPort: 3001, expectedResourceVersion: 1 },
    });
    expect(u.status).toBe(200);
    expect(u.body.targetPort).toBe(3001);
    expect(u.body.metadata.resourceVersion).toBe(2);
    const list = await call('GET', `/v1/services?sandbox=${name}`);
    expect(list.body.items).toHaveLength(1);
    expect(
      (await call('DELETE', `/v1/sandboxes/${name}/services/web?expectedResourceVersion=2`)).status,
    ).toBe(200);
    expect((await call('GET', `/v1/sandboxes/${name}/services/web`)).status).toBe(404);
  });

  it('inference upsert creates at version 1 and updates through CAS', async () => {
    const name = unique('route');
    const c = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt' },
    });
    expect(c.status).toBe(201);
    expect(c.body.metadata.resourceVersion).toBe(1);
    expect(c.body.timeoutSeconds).toBe(60);
    const u = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt-2', expectedResourceVersion: 1 },
    });
    expect(u.body.metadata.resourceVersion).toBe(2);
    const stale = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt-3', expectedResourceVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', `/v1/inference/routes/${name}`)).body.modelId).toBe('gpt-2');
  });
});

describe('requests', () => {
  it('Idempotency-Key: a replay returns the original success; another body is 422', async () => {
    const name = unique('p');
    const body = { name, type: 'openai', credentials: { K: 'idem-secret-1' } };
    const first = await call('POST', '/v1/providers', {
      body,
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    const replay = await call('POST', '/v1/providers', {
      body,
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await call('POST', '/v1/providers', {
      body: { ...body, config: { a: 'b' } },
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_MISMATCH');
  });

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

  it('401 without a token, 403 without the scope, shellgate:all grants all', async () => {
    expect((await call('GET', '/v1/providers', { scopes: null })).status).toBe(401);
    const denied = await call('GET', '/v1/providers', { scopes: ['sandbox:read'] });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect((await call('GET', '/v1/providers', { scopes: ['provider:read'] })).status).toBe(200);
    expect((await call('GET', '/healthz', { scopes: null })).status).toBe(200);
  });
});

describe('limits and preconditions found by fuzzing', () => {
  it('a create refuses a version precondition: it has no version to be based on', async () => {
    const withVersion = await call('POST', '/v1/providers', {
      body: {
        name: 'pre-p',
        type: 't',
        credentials: { K: 'pre-secret-1' },
        expectedResourceVersion: 7,
      },
    });
    expect(withVersion.status).toBe(400);
    expect(withVersion.body.errors[0].field).toBe('body.expectedResourceVersion');
    const withIfMatch = await call('POST', '/v1/providers', {
      body: { name: 'pre-p', type: 't', credentials: { K: 'pre-secret-1' } },
      headers: { 'If-Match': '"7c2be8b8-26d7-43b6-9994-e1dcc7594fc7:5"' },
    });
    expect(withIfMatch.status).toBe(400);
    expect((await call('GET', '/v1/providers/pre-p')).status).toBe(404);
  });

  it('every write that grows a sandbox checks its size: a 400 naming the field, never a 500', async () => {
    const labels = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [
        `${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(60)}.io/${'k'.repeat(60)}${i}`,
        'v'.repeat(63),
      ]),
    );
    const environment = Object.fromEntries(
      Array.from({ length: 35 }, (_, i) => [`VAR_${i}`, 'x'.repeat(8000)]),
    );
    const created = await call('POST', '/v1/sandboxes', {
      body: { name: 'big', labels, spec: { environment } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const policy = await call('PUT', '/v1/sandboxes/big/config/policy', {
      body: { policy: { blob: 'y'.repeat(60_000) } },
    });
    expect(policy.status).toBe(400);
    expect(policy.body.errors[0].field).toBe('body.policy');
    const conditions = Array.from({ length: 16 }, (_, i) => ({
      type: `T${i}`,
      status: 'True',
      reason: 'r'.repeat(128),
      message: 'm'.repeat(1024),
    }));
    const status = await call('PUT', '/v1/sandboxes/big/status', {
      body: { phase: 'READY', conditions },
    });
    expect([200, 400]).toContain(status.status);
    expect((await call('GET', '/v1/sandboxes/big')).body.metadata.resourceVersion).toBe(
      status.status === 200 ? 2 : 1,
    );
  });

  it('a page token of one list is refused by another, with a 400', async () => {
    await call('POST', '/v1/sandboxes', { body: { name: 'tok', spec: { policy: { a: 1 } } } });
    await call('PUT', '/v1/sandboxes/tok/config/policy', { body: { policy: { a: 2 } } });
    const revisions = await call('GET', '/v1/sandboxes/tok/config/policy/revisions?pageSize=1');
    expect(revisions.body.nextPageToken).toBeTruthy();
    const misplaced = await call(
      'GET',
      `/v1/sandboxes/tok/ssh-sessions?pageToken=${revisions.body.nextPageToken}`,
    );
    expect(misplaced.status).toBe(400);
    expect(misplaced.body.errors[0].field).toBe('query.pageToken');
    const next = await call(
      'GET',
      `/v1/sandboxes/tok/config/policy/revisions?pageSize=1&pageToken=${revisions.body.nextPageToken}`,
    );
    expect(next.body.items[0].version).toBe(1);
  });
});
